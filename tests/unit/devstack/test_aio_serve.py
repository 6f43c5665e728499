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
import threading
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


_LOCK = threading.Lock()
_INFLIGHT = [0, 0]  # now, most at once


def inflight(environ, start_response):
    """Answers with its pid and the most requests it served at once."""
    with _LOCK:
        _INFLIGHT[0] += 1
        _INFLIGHT[1] = max(_INFLIGHT)
    time.sleep(0.3)
    with _LOCK:
        _INFLIGHT[0] -= 1
        most = _INFLIGHT[1]
    start_response('200 OK', [('Content-Type', 'text/plain')])
    return [('%d %d' % (os.getpid(), most)).encode()]


def _get(conn):
    conn.request('GET', '/')
    resp = conn.getresponse()
    return resp.status, resp.read()


@contextlib.contextmanager
def _served(app='hello', *args, env=None):
    """tools/aio/serve.py serving ``app`` on a free loopback port."""
    port = ports.free_port()
    proc = subprocess.Popen(
        [sys.executable, '-m', 'tools.aio.serve', '--port', str(port),
         '--app', 'tests.unit.devstack.test_aio_serve:' + app] + list(args),
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        env=env)
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


def _at_once(port, n):
    """n requests at once; their answers (pid, most at once in it)."""
    out = []

    def one():
        conn = http.client.HTTPConnection('127.0.0.1', port, timeout=30)
        status, body = _get(conn)
        conn.close()
        assert status == 200
        out.append(tuple(int(x) for x in body.split()))
    threads = [threading.Thread(target=one) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return out


def test_keystone_is_served_one_request_at_a_time_per_process(tmp_path):
    # Keystone's AuthContextMiddleware keeps the validated token on an
    # object every request shares: two requests at once in one process
    # could be authorised with each other's scope.
    from tools.aio import layout
    lay = layout.Layout(state=str(tmp_path))
    [keystone] = [s for s in services.all_services(lay)
                  if s.name == 'keystone']
    argv = keystone.argv
    workers = int(argv[argv.index('--workers') + 1])
    threads = int(argv[argv.index('--threads') + 1])
    assert threads == 1 and workers >= 2
    with _served('inflight', '--workers', str(workers), '--threads',
                 str(threads)) as port:
        answers = _at_once(port, 6)
    assert len(answers) == 6
    assert {most for _pid, most in answers} == {1}
    # The other services keep their threads: the same requests overlap.
    with _served('inflight') as port:
        answers = _at_once(port, 6)
    assert max(most for _pid, most in answers) > 1


def test_no_control_socket_shared_by_every_api_of_the_machine(tmp_path):
    # gunicorn's control socket has one path per user: the APIs of the
    # clouds on a machine would each take it over.
    env = dict(os.environ, HOME=str(tmp_path))
    env.pop('XDG_RUNTIME_DIR', None)
    with _served(env=env) as port:
        conn = http.client.HTTPConnection('127.0.0.1', port, timeout=10)
        assert _get(conn) == (200, b'hello')
        conn.close()
        assert list(tmp_path.rglob('gunicorn.ctl')) == []
