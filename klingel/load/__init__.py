"""Synthetic participants that cost almost nothing: pre-encoded media, no decoding.

See ``docs/load.md`` for the ``klingel-load`` command and what its figures mean.
"""
