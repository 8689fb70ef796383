#!/usr/bin/env bash
# Runs every benchmark inside the isolated network namespace and prints a Markdown table.
# Usage: bench/run.sh [idle] [join_latency] [sfu_cpu] [forwarding] [class30] [downlink]
#        [signaling_load] [store] [audience] [council_vote] [council_screens] [music]
#        [breakouts]
#        (default: all, about 50 minutes)
set -uo pipefail
cd "$(dirname "$0")/.."

benchmarks=("$@")
if [ "${#benchmarks[@]}" -eq 0 ]; then
  benchmarks=(idle join_latency sfu_cpu forwarding class30 downlink signaling_load store audience
    council_vote council_screens music breakouts)
fi

failed=0
for name in "${benchmarks[@]}"; do
  echo "== bench/$name.py" >&2
  if ! scripts/netns-run .venv/bin/python "bench/$name.py" >&2; then
    echo "bench/$name.py failed" >&2
    failed=1
  fi
done
.venv/bin/python bench/table.py
exit "$failed"
