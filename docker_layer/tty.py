# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at
#
#      http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied. See the
# License for the specific language governing permissions and limitations
# under the License.

"""Interactive terminals inside containers, joined to plain sockets.

``open_tty`` starts a command with a tty inside a running container
(``docker exec -it``) and hands back the exec's connection as a socket:
with a tty the engine sends the terminal's bytes as they are (no stream
headers), so bytes written to it are the terminal's input and bytes read
from it its output. ``splice`` copies two sockets into each other until
either side ends. Nothing here listens anywhere: the caller decides who
may reach a terminal.
"""

import os
import selectors
import socket

#: Environment of every terminal (the engine sets no TERM for an exec).
TTY_ENV = {'TERM': 'xterm'}
_CHUNK = 16384


def open_tty(api, container, command, user=None):
    """A socket joined to ``command`` running with a tty in ``container``.

    :param api: a ``docker.APIClient``.
    :param command: argv list.
    Raises the SDK's errors (NotFound, APIError for a stopped container).
    The command ends when the socket is closed (its tty hangs up).
    """
    exec_id = api.exec_create(container, command, stdin=True, stdout=True,
                              stderr=True, tty=True, environment=TTY_ENV,
                              user=user or '')['Id']
    raw = api.exec_start(exec_id, tty=True, socket=True)
    # The SDK answers with the connection's socket (TLS) or its file
    # object (unix socket, plain tcp); a socket of its own on a duplicate
    # of the descriptor gives sendall/recv/shutdown for the latter.
    if isinstance(raw, socket.socket):
        return raw
    try:
        return socket.socket(fileno=os.dup(raw.fileno()))
    finally:
        raw.close()


def _send(sock, data):
    try:
        sock.sendall(data)
        return True
    except OSError:
        return False


def splice(left, right, stop=None):
    """Copy bytes both ways between two sockets until one side ends (or
    ``stop``, a threading.Event, is set); closes both."""
    sel = selectors.DefaultSelector()
    peers = {left: right, right: left}
    try:
        for sock in peers:
            sel.register(sock, selectors.EVENT_READ)
        while not (stop is not None and stop.is_set()):
            for key, _ in sel.select(timeout=0.5):
                try:
                    data = key.fileobj.recv(_CHUNK)
                except OSError:
                    data = b''
                if not data or not _send(peers[key.fileobj], data):
                    return
    finally:
        sel.close()
        for sock in peers:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()
