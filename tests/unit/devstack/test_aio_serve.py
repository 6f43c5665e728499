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

"""The all-in-one's WSGI launcher (tools/aio/serve.py) on a real gunicorn."""

import contextlib
import http.client
import os
import subprocess
import sys
import time
import uuid

from tests.rig import ports
from tools.aio import services

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))


def hello(environ, start_response):
    """The WSGI application served in the test."""
    start_response('200 OK', [('Content-Type', 'text/plain')])
    return [b'hello']


def _get(conn):
    conn.request('GET', '/')
    resp = conn.getresponse()
    return resp.status, resp.read()


@contextlib.contextmanager
def _served():
    """tools/aio/serve.py serving hello() on a free loopback port."""
    port = ports.free_port()
    proc = subprocess.Popen(
        [sys.executable, '-m', 'tools.aio.serve', '--port', str(port),
         '--app', 'tests.unit.devstack.test_aio_serve:hello'],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while not services.tcp_open(port):
            assert proc.poll() is None, 'serve exited %s' % proc.returncode
            assert time.monotonic() < deadline, 'serve never listened'
            time.sleep(0.2)
        yield port
    finally:
        proc.terminate()
        proc.wait(20)


def test_a_kept_alive_connection_outlives_a_clients_poll_interval():
    # openstacksdk polls every 2 s on a kept-alive connection; the server
    # must not close it at that moment (gunicorn's default keepalive, 2 s,
    # did: a poll met the close).
    with _served() as port:
        conn = http.client.HTTPConnection('127.0.0.1', port, timeout=10)
        assert _get(conn) == (200, b'hello')
        sock = conn.sock
        time.sleep(3)  # idle longer than gunicorn's default keepalive
        assert _get(conn) == (200, b'hello')
        assert conn.sock is sock  # the same connection served both
        conn.close()


def test_nova_s_port_listing_of_150_servers_fits_the_request_line():
    # Nova asks Neutron for the ports of up to 150 servers in one GET, a
    # device_id= per server; gunicorn's default limit (4094) refused it.
    query = '&'.join('device_id=%s' % uuid.uuid4() for _ in range(150))
    path = '/v2.0/ports?fields=device_id&fields=security_groups&' + query
    assert 4094 < len('GET %s HTTP/1.1' % path) < 8190
    with _served() as port:
        conn = http.client.HTTPConnection('127.0.0.1', port, timeout=10)
        conn.request('GET', path)
        resp = conn.getresponse()
        assert (resp.status, resp.read()) == (200, b'hello')
        conn.close()
