"""Several nodes on one Redis: the directory of nodes and placements, a node's own part in it
(its beat, its rooms, draining) and the seal on sockets one node passes to another."""
