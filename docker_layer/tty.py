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
import signal
import socket
import time

#: Environment of every terminal (the engine sets no TERM for an exec).
TTY_ENV = {'TERM': 'xterm'}
#: Typed into a terminal when its connection ends: interrupt, then end of
#: input (apart: the tty flushes what follows an interrupt).
HANG_UP_KEYS = (b'\x03', b'\x04')
_KEY_PAUSE = 0.3
_CHUNK = 16384


class Terminal:
    """A command running with a tty in a container, and the connection to
    it (``fileno``, ``recv``, ``sendall``, ``shutdown`` like a socket).

    The engine keeps an exec'd command running when its connection
    closes (the tty stays open on the engine's side), so ``close`` hangs
    the terminal up itself: Ctrl-C and Ctrl-D typed (a shell at its
    prompt exits), then, if the command still runs and the engine is on
    this machine, SIGHUP to it; what still runs after that ends with the
    container.
    """

    def __init__(self, api, container, exec_id, sock, local):
        self.api = api
        self.container = container
        self.exec_id = exec_id
        self.sock = sock
        self.local = local
        self._closed = False

    def fileno(self):
        return self.sock.fileno()

    def recv(self, size):
        return self.sock.recv(size)

    def sendall(self, data):
        return self.sock.sendall(data)

    def shutdown(self, how):
        # The hang-up keys go out in close(), before the connection ends.
        pass

    def running(self):
        """(running, host pid) of the command, as the engine says."""
        try:
            found = self.api.exec_inspect(self.exec_id)
        except Exception:  # the engine or the container is gone
            return False, 0
        return bool(found.get('Running')), found.get('Pid') or 0

    def close(self, grace=2.0):
        if self._closed:
            return
        self._closed = True
        try:
            for key in HANG_UP_KEYS:
                self.sock.sendall(key)
                time.sleep(_KEY_PAUSE)
        except OSError:
            pass
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()
        deadline = time.monotonic() + grace
        running, pid = self.running()
        while running and time.monotonic() < deadline:
            time.sleep(0.2)
            running, pid = self.running()
        if running and pid and self.local and self._in_container(pid):
            try:
                os.kill(pid, signal.SIGHUP)
            except OSError:
                # Not ours to signal (another user's process): it ends
                # with the container.
                pass

    def _in_container(self, pid):
        """Whether ``pid`` here is a process of the container (the engine's
        pids are ours only when this process shares its pid namespace:
        the container's id is then in the process's cgroup)."""
        try:
            with open('/proc/%d/cgroup' % pid) as f:
                return self._container_id() in f.read()
        except (OSError, ValueError):
            return False

    def _container_id(self):
        found = self.api.inspect_container(self.container)
        return found['Id']


def _connection(raw):
    # The SDK answers with the connection's socket (TLS) or its file
    # object (a SocketIO for unix sockets and plain tcp).
    if isinstance(raw, socket.socket):
        return raw
    inner = getattr(raw, '_sock', None)
    if isinstance(inner, socket.socket):
        # The one descriptor moves to a socket of our own: closing it
        # closes the connection (a duplicate would keep it open).
        return socket.socket(fileno=inner.detach())
    try:
        return socket.socket(fileno=os.dup(raw.fileno()))
    finally:
        raw.close()


def open_tty(api, container, command, user=None, local=False):
    """A Terminal: ``command`` running with a tty in ``container``.

    :param api: a ``docker.APIClient``.
    :param command: argv list.
    :param local: the engine runs on this machine (its pids are ours):
        ``close`` may signal a command that outlives the hang-up keys.
    Raises the SDK's errors (NotFound, APIError for a stopped container).
    """
    exec_id = api.exec_create(container, command, stdin=True, stdout=True,
                              stderr=True, tty=True, environment=TTY_ENV,
                              user=user or '')['Id']
    raw = api.exec_start(exec_id, tty=True, socket=True)
    return Terminal(api, container, exec_id, _connection(raw), local)


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
