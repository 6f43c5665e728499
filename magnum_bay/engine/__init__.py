"""Everything of the bay service that talks to Docker, in one place.

``nodes`` runs node containers on the host engine; ``node_api`` talks to the
engine inside a node (over TLS with the bay's certificates) and drives swarm
mode there. Drivers call these and never the docker SDK directly.
"""
