"""TURN for networks that block UDP: coturn's configuration and its time-limited credentials.

Klingel runs next to coturn. Browsers that cannot send UDP to the SFU reach coturn over TCP or
TLS and let it relay to the SFU's media address, and to nothing else.
"""
