#!/usr/bin/env bash
# Prepares the Janus VideoRoom as a reference SFU for bench/forwarding.py: installs Debian 12's
# `janus` package if it is missing, writes a minimal configuration into DIR and prints the
# command that runs Janus in the foreground with it.
#
# Janus is only measured against; Klingel never depends on it. Its configuration loads the
# VideoRoom plugin and the plain HTTP transport (127.0.0.1 only) and nothing else: no admin
# API, no event handlers, no loggers, no STUN, no 1:1 NAT. It is ICE-lite and gathers only
# 127.0.0.2, so it works only inside scripts/netns-run (Janus skips loopback interfaces, and
# the namespace holds 127.0.0.2 on a veth).
#
# Usage: bench/janus/setup.sh DIR HTTP_PORT RTP_FIRST-RTP_LAST ADMIN_KEY [EVENT_LOOPS]
# EVENT_LOOPS: 0 (the default) gives every handle a media thread of its own, as Janus is
# packaged; N > 0 shares N static event loops among all handles.
set -euo pipefail

if [ "$#" -lt 4 ] || [ "$#" -gt 5 ]; then
  echo "usage: bench/janus/setup.sh DIR HTTP_PORT RTP_FIRST-RTP_LAST ADMIN_KEY [EVENT_LOOPS]" >&2
  exit 2
fi
dir=$1
http_port=$2
rtp_ports=$3
admin_key=$4
event_loops=${5:-0}

if ! command -v janus >/dev/null; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "janus is not installed (as root: apt-get install -y --no-install-recommends janus)" >&2
    exit 3
  fi
  apt-get install -y --no-install-recommends janus >&2
fi

# Debian's package keeps its modules under the multiarch library folder.
lib=$(dpkg -L janus | grep -m1 -E '/janus/plugins/libjanus_videoroom\.so$' | xargs dirname | xargs dirname)
if [ ! -f "$lib/plugins/libjanus_videoroom.so" ] || [ ! -f "$lib/transports/libjanus_http.so" ]; then
  echo "janus modules not found under $lib" >&2
  exit 3
fi

# Janus loads every module it finds in a folder (a `disable` list would have to name all the
# others), so it gets folders that hold only the two modules it should load.
mkdir -p "$dir/plugins" "$dir/transports" "$dir/events" "$dir/loggers"
ln -sfn "$lib/plugins/libjanus_videoroom.so" "$dir/plugins/libjanus_videoroom.so"
ln -sfn "$lib/transports/libjanus_http.so" "$dir/transports/libjanus_http.so"

cat >"$dir/janus.jcfg" <<EOF
general: {
	configs_folder = "$dir"
	plugins_folder = "$dir/plugins"
	transports_folder = "$dir/transports"
	events_folder = "$dir/events"
	loggers_folder = "$dir/loggers"
	debug_level = 4
	debug_timestamps = true
	debug_colors = false
	session_timeout = 60
	event_loops = $event_loops
	server_name = "klingel-bench-reference"
}
certificates: {
}
media: {
	ipv6 = false
	rtp_port_range = "$rtp_ports"
}
nat: {
	ice_lite = true
	full_trickle = false
	ice_enforce_list = "127.0.0.2"
	ignore_mdns = true
}
plugins: {
}
transports: {
}
loggers: {
}
events: {
	broadcast = false
}
EOF

cat >"$dir/janus.transport.http.jcfg" <<EOF
general: {
	json = "plain"
	base_path = "/janus"
	http = true
	port = $http_port
	ip = "127.0.0.1"
	https = false
	acl = "127."
}
admin: {
	admin_http = false
	admin_https = false
}
EOF

# Rooms are made through the API by the benchmark only (admin_key), none exist at start.
cat >"$dir/janus.plugin.videoroom.jcfg" <<EOF
general: {
	admin_key = "$admin_key"
	lock_rtp_forward = true
}
EOF

echo "janus -F $dir -C $dir/janus.jcfg"
