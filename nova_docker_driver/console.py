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

"""Serial consoles of container instances.

A container has no serial port; its "serial console" is a terminal in it.
For each instance whose console is asked for, the driver listens on one TCP
port of ``[serial_console] proxyclient_address`` in Nova's ``[serial_console]
port_range`` (where nova-serialproxy connects once it has checked a
tenant's token); every connection accepted there becomes
``[docker] serial_console_command`` with a tty inside that instance's
container (``docker exec -it``), joined to the connection both ways. The
engine's API socket is never exposed: only the terminal's bytes cross the
port. At most ``[docker] serial_console_sessions`` connections per instance
are served at once; the port is given back when the instance is stopped
or deleted.
"""

import shlex
import socket
import threading

from nova.console import serial as nova_serial
from nova import exception as nova_exc
from oslo_log import log as logging

from docker_layer import tty

LOG = logging.getLogger(__name__)

#: Attempts at binding a port Nova's allocator found free (another process,
#: such as a second nova-compute on the same address, may take it first).
BIND_ATTEMPTS = 20
_POLL = 0.5


def _say(conn, text):
    try:
        conn.sendall(('console: %s\r\n' % text).encode())
    except OSError:
        pass
    conn.close()


class _Listener:
    """One instance's console port and the sessions accepted on it."""

    def __init__(self, uuid, sock, host, port, opener, max_sessions):
        self.uuid = uuid
        self.host = host
        self.port = port
        self._sock = sock
        self._opener = opener
        self._max = max_sessions
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._sessions = set()
        self._thread = threading.Thread(
            target=self._accept, name='serial-console-%s' % uuid,
            daemon=True)
        self._thread.start()

    @property
    def sessions(self):
        with self._lock:
            return len(self._sessions)

    def _accept(self):
        while not self._stop.is_set():
            try:
                conn, _peer = self._sock.accept()
            except socket.timeout:
                continue
            except OSError:
                break
            conn.settimeout(None)
            with self._lock:
                if len(self._sessions) >= self._max:
                    full = True
                else:
                    full = False
                    self._sessions.add(conn)
            if full:
                _say(conn, 'too many sessions on this console (%d)'
                     % self._max)
                continue
            threading.Thread(target=self._serve, args=(conn,),
                             daemon=True).start()

    def _serve(self, conn):
        try:
            try:
                terminal = self._opener()
            except Exception as exc:  # the tenant reads why, in the console
                LOG.warning('Serial console of %s: no terminal: %s',
                            self.uuid, exc)
                _say(conn, 'no terminal in the container: %s' % exc)
                return
            tty.splice(conn, terminal, self._stop)
        finally:
            with self._lock:
                self._sessions.discard(conn)

    def close(self):
        self._stop.set()
        try:
            self._sock.close()
        finally:
            self._thread.join(timeout=5)


class SerialConsoles:
    """The console ports of one compute host's instances.

    :param open_terminal: ``f(instance_uuid, argv)`` returning a connected
        socket to a terminal in the instance's container (raises when the
        container is gone or not running).
    """

    def __init__(self, conf, open_terminal):
        self._conf = conf
        self._open_terminal = open_terminal
        self._lock = threading.Lock()
        self._listeners = {}

    @property
    def command(self):
        return shlex.split(self._conf.docker.serial_console_command)

    def port_of(self, uuid):
        with self._lock:
            listener = self._listeners.get(uuid)
            return listener.port if listener else None

    def sessions(self, uuid):
        with self._lock:
            listener = self._listeners.get(uuid)
            return listener.sessions if listener else 0

    def open(self, uuid):
        """(host, port) of the instance's console, listening from now on
        (the same port on every call until ``close``)."""
        with self._lock:
            listener = self._listeners.get(uuid)
            if listener is None:
                listener = self._listen(uuid)
                self._listeners[uuid] = listener
            return listener.host, listener.port

    def _listen(self, uuid):
        host = self._conf.serial_console.proxyclient_address
        command = self.command

        def opener():
            return self._open_terminal(uuid, command)

        for _ in range(BIND_ATTEMPTS):
            # Raises SocketPortRangeExhaustedException when none is free.
            port = nova_serial.acquire_port(host)
            sock = socket.socket(socket.AF_INET6 if ':' in host
                                 else socket.AF_INET)
            try:
                sock.bind((host, port))
                sock.listen(8)
            except OSError as exc:
                # Taken since Nova looked; it stays marked as allocated.
                LOG.debug('Serial console port %s:%d: %s', host, port, exc)
                sock.close()
                continue
            sock.settimeout(_POLL)
            LOG.info('Serial console of %s listens on %s:%d', uuid, host,
                     port)
            return _Listener(uuid, sock, host, port, opener,
                             self._conf.docker.serial_console_sessions)
        raise nova_exc.SocketPortRangeExhaustedException(host=host)

    def close(self, uuid):
        """Stop listening for the instance and end its sessions."""
        with self._lock:
            listener = self._listeners.pop(uuid, None)
        if listener is None:
            return
        try:
            listener.close()
        finally:
            nova_serial.release_port(listener.host, listener.port)
            LOG.info('Serial console of %s closed (port %d)', uuid,
                     listener.port)

    def close_all(self):
        with self._lock:
            uuids = list(self._listeners)
        for uuid in uuids:
            self.close(uuid)
