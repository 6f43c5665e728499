"""Loopback ports for servers a test starts itself."""

import socket


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on at this moment.

    The kernel picks it; another process may take it before the caller
    binds, which on a test machine is rare enough to accept.
    """
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]
