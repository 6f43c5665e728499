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

"""Ask a test's web containers for / every 200 ms while something happens.

The caller hands a function that returns the (key, address) of the
containers it created (read from the engine it owns); the prober thread
sends each an HTTP/1.0 GET and records who answered what. The loop is
bounded (``max_ticks``) and stops when the caller says so.
"""

import socket
import threading
import time

INTERVAL = 0.2


def get(address, port, path='/', timeout=0.5):
    """The body of GET ``path``, or None when nothing answers."""
    try:
        with socket.create_connection((address, port), timeout=timeout) as s:
            s.settimeout(timeout)
            s.sendall(('GET %s HTTP/1.0\r\n\r\n' % path).encode())
            data = b''
            while len(data) < 65536:
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
    except OSError:
        return None
    head, _sep, body = data.decode('utf-8', 'replace').partition('\r\n\r\n')
    if ' 200 ' not in head.split('\r\n', 1)[0]:
        return None
    return body.strip()


class Prober:
    """Background GETs of ``targets()`` every INTERVAL seconds.

    ``ticks`` is a list of {key: body or None}, one per round.
    """

    def __init__(self, targets, port, max_ticks=1500):
        self._targets = targets
        self._port = port
        self._max = max_ticks
        self._stop = threading.Event()
        self.ticks = []
        self.errors = []
        self._thread = threading.Thread(target=self._run, daemon=True,
                                        name='web-probe')

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(timeout=30)

    def _run(self):
        for _ in range(self._max):
            began = time.monotonic()
            try:
                targets = self._targets()
            except Exception as exc:  # noqa: BLE001 - reported by the test
                self.errors.append(repr(exc))
                targets = []
            self.ticks.append({key: get(address, self._port)
                               for key, address in targets})
            if self._stop.wait(max(0.0, INTERVAL - (time.monotonic()
                                                    - began))):
                return

    def answering(self, body=None):
        """Per round: how many answered (with ``body``, if given)."""
        return [sum(1 for b in tick.values()
                    if b is not None and (body is None or b == body))
                for tick in self.ticks]
