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

"""The docker_api backend's error mapping, against a stand-in Engine API.

A small HTTP server on a unix socket answers the Engine API calls with the
statuses a daemon gives (500, 404, a dropped connection, an error inside a
load stream); the backend must turn each into the driver's terms:
EngineError naming the action, EngineUnavailable naming the endpoint, None
or nothing for what is simply missing. The real engine's behaviour is
tested in tests/functional; this pins the mapping without one.
"""

import http.server
import json
import re
import socketserver
import threading

import pytest

from nova_docker_driver.backends import base
from nova_docker_driver.backends import docker_api
from nova_docker_driver import exception


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'

    def log_message(self, *args):
        pass

    def address_string(self):  # a unix socket has no host address
        return 'engine-stub'

    def _answer(self):
        length = int(self.headers.get('Content-Length') or 0)
        body = self.rfile.read(length) if length else b''
        path = re.sub(r'^/v[0-9.]+', '', self.path.split('?', 1)[0])
        self.server.seen.append((self.command, path))
        self.server.bodies.append((self.command, path, body))
        for (method, pattern), reply in self.server.routes.items():
            if method == self.command and re.fullmatch(pattern, path):
                break
        else:
            reply = (404, {'message': 'page not found'})
        if reply is None:  # the daemon goes away mid-request
            self.close_connection = True
            return
        status, body = reply
        data = (body if isinstance(body, bytes)
                else json.dumps(body).encode())
        self.send_response(status)
        self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_DELETE = _answer


class _Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


@pytest.fixture
def engine(tmp_path, docker_conf):
    """(backend, server): set ``server.routes[(method, path)] = reply``."""
    sock = str(tmp_path / 'engine.sock')
    server = _Server(sock, _Handler)
    server.routes, server.seen, server.bodies = {}, [], []
    thread = threading.Thread(target=server.serve_forever, args=(0.05,),
                              daemon=True)
    thread.start()
    docker_conf.set_override('endpoint', 'unix://' + sock, group='docker')
    backend = docker_api.DockerAPIBackend(docker_conf)
    try:
        yield backend, server
    finally:
        docker_conf.clear_override('endpoint', group='docker')
        server.shutdown()
        server.server_close()


def _spec(disk_bytes=0, dns_servers=None, dns_search=None):
    return base.ContainerSpec(
        name='nova-x', image='dos/idle:latest', labels={}, hostname='x',
        limits=base.Limits(memory_bytes=64 << 20, cpu_quota_us=100000,
                           cpu_period_us=100000, cpu_shares=1024,
                           pids_limit=10, disk_bytes=disk_bytes),
        dns_servers=dns_servers, dns_search=dns_search)


def test_a_daemon_error_is_an_engine_error_naming_the_action(engine):
    backend, server = engine
    server.routes[('GET', '/info')] = (500, {'message': 'daemon broke'})
    with pytest.raises(exception.EngineError) as err:
        backend.info()
    assert str(err.value) == 'Docker engine refused info: daemon broke'


def test_a_dropped_connection_is_the_engine_unavailable(engine):
    backend, server = engine
    server.routes[('GET', '/version')] = None
    with pytest.raises(exception.EngineUnavailable) as err:
        backend.version()
    assert 'engine.sock is unavailable' in str(err.value)


def test_missing_things_are_none_or_nothing(engine):
    backend, server = engine
    missing = (404, {'message': 'No such container: c1'})
    server.routes[('GET', '/containers/c1/json')] = missing
    server.routes[('DELETE', '/containers/c1')] = missing
    server.routes[('GET', '/images/.*/json')] = (
        404, {'message': 'No such image'})
    server.routes[('DELETE', '/images/.*')] = (
        404, {'message': 'No such image'})
    assert backend.inspect('c1') is None
    assert backend.inspect_raw('c1') is None
    backend.remove('c1')
    assert backend.image_id('dos/gone:1') is None
    backend.remove_image('dos/gone:1')
    assert ('DELETE', '/containers/c1') in server.seen


def test_create_refusals(engine):
    backend, server = engine
    server.routes[('POST', '/containers/create')] = (500, {
        'message': "--storage-opt is supported only for overlay over xfs "
                   "with 'pquota' mount option"})
    with pytest.raises(exception.DiskQuotaRefused) as err:
        backend.create(_spec(disk_bytes=1 << 30))
    assert 'pquota' in str(err.value)
    server.routes[('POST', '/containers/create')] = (
        409, {'message': 'Conflict. The container name "/nova-x" is in use'})
    with pytest.raises(exception.EngineError) as err:
        backend.create(_spec())
    assert not isinstance(err.value, exception.DiskQuotaRefused)
    assert 'refused create container nova-x' in str(err.value)
    assert 'is in use' in str(err.value)


def test_an_error_inside_the_load_stream_is_an_engine_error(engine):
    backend, server = engine
    server.routes[('POST', '/images/load')] = (200, json.dumps(
        {'errorDetail': {'message': 'invalid tar header'},
         'error': 'invalid tar header'}).encode())
    with pytest.raises(exception.EngineError) as err:
        backend.load_image(b'not a tarball')
    assert 'refused load image: invalid tar header' in str(err.value)
    server.routes[('POST', '/images/load')] = (200, json.dumps(
        {'stream': 'nothing useful\n'}).encode())
    with pytest.raises(exception.EngineError) as err:
        backend.load_image(b'')
    assert 'the engine loaded no image' in str(err.value)


@pytest.mark.parametrize('dns, expected', [
    (['192.0.2.53', 'fd00::53'], ['192.0.2.53', 'fd00::53']),
    (None, None), ([], None)])
def test_dns_servers_go_into_the_host_config(engine, dns, expected):
    backend, server = engine
    server.routes[('POST', '/containers/create')] = (201, {'Id': 'c1'})
    assert backend.create(_spec(dns_servers=dns)) == 'c1'
    (body,) = [json.loads(b) for m, p, b in server.bodies
               if (m, p) == ('POST', '/containers/create')]
    # None: the engine's own default resolv.conf.
    assert body['HostConfig'].get('Dns') == expected
    assert body['HostConfig']['NetworkMode'] == 'none'


@pytest.mark.parametrize('search, expected', [
    (['apps.example.', 'db.example'], ['apps.example.', 'db.example']),
    (None, None), ([], None)])
def test_search_domains_go_into_the_host_config(engine, search, expected):
    backend, server = engine
    server.routes[('POST', '/containers/create')] = (201, {'Id': 'c1'})
    assert backend.create(_spec(dns_search=search)) == 'c1'
    (body,) = [json.loads(b) for m, p, b in server.bodies
               if (m, p) == ('POST', '/containers/create')]
    # None: the engine's own default search list.
    assert body['HostConfig'].get('DnsSearch') == expected
