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

"""The shared Docker layer without an engine: options, clients, errors.

The adapter and the version probe talk HTTP to a small server on loopback
that this module starts; nothing else is reached.
"""

import contextlib
import http.server
import json
import threading
import types

import docker
from docker import errors as docker_errors
from oslo_config import cfg
import pytest
import requests

from docker_layer import client
from docker_layer import compat
from docker_layer import conf as layer_conf
from docker_layer import errors


# -- options ----------------------------------------------------------------

def _conf(tmp_path, text, **kwargs):
    path = tmp_path / 'service.conf'
    path.write_text(text)
    conf = cfg.ConfigOpts()
    opts = layer_conf.engine_opts(**kwargs)
    layer_conf.register_opts(conf, 'svc', opts)
    conf(['--config-file', str(path)])
    return conf


def test_one_spelling_with_secret_key_paths():
    opts = {o.name: o for o in layer_conf.engine_opts()}
    assert set(opts) == {'endpoint', 'tls_verify', 'tls_ca_cert',
                         'tls_client_cert', 'tls_client_key', 'api_timeout'}
    assert {n for n, o in opts.items() if o.secret} == {
        'tls_ca_cert', 'tls_client_cert', 'tls_client_key'}
    assert opts['tls_verify'].default is True
    assert opts['endpoint'].default is None


def test_service_defaults_and_help():
    opts = {o.name: o for o in layer_conf.engine_opts(
        endpoint_default='unix:///x.sock', endpoint_help='For tests.',
        api_timeout=7)}
    assert opts['endpoint'].default == 'unix:///x.sock'
    assert opts['endpoint'].help.startswith('For tests. ')
    assert '$DOCKER_HOST' not in opts['endpoint'].help
    assert opts['api_timeout'].default == 7


def test_old_names_still_read(tmp_path):
    conf = _conf(tmp_path, '[svc]\ndocker_host = tcp://h:1\n'
                 'tls_ca = /etc/ca.pem\n',
                 deprecated_names={'endpoint': 'docker_host',
                                   'tls_ca_cert': 'tls_ca'})
    assert conf.svc.endpoint == 'tcp://h:1'
    assert conf.svc.tls_ca_cert == '/etc/ca.pem'


def test_new_names_read_and_old_ones_only_where_declared(tmp_path):
    conf = _conf(tmp_path, '[svc]\nendpoint = tcp://h:2\ntls_ca = /x\n')
    assert conf.svc.endpoint == 'tcp://h:2'
    assert conf.svc.tls_ca_cert is None


def test_registering_twice_is_harmless():
    conf = cfg.ConfigOpts()
    for _ in range(2):
        layer_conf.register_opts(conf, cfg.OptGroup('svc'),
                                 layer_conf.engine_opts(api_timeout=5))
    conf([])
    assert conf.svc.api_timeout == 5


def test_each_service_lists_the_same_spelling():
    from heat_plugin import conf as heat_conf
    from magnum_bay.conf import bay as bay_conf
    layer_names = {o.name for o in layer_conf.engine_opts()}
    heat = dict((g.name, {o.name for o in opts})
                for g, opts in heat_conf.list_opts())
    assert layer_names <= heat['heat_docker']
    assert layer_names <= {o.name for o in bay_conf.OPTS}
    # The Nova side is checked in its own process (tests/unit/nova_...).


@pytest.mark.parametrize('service,text,expected', [
    ('heat', '[heat_docker]\ndefault_endpoint = tcp://h:2375\n',
     ('tcp://h:2375', 60)),
    ('bay', '[bay]\ndocker_host = unix:///run/other.sock\n',
     ('unix:///run/other.sock', 120)),
])
def test_a_services_old_endpoint_name_still_reads(tmp_path, service, text,
                                                   expected):
    from heat_plugin import conf as heat_conf
    from magnum_bay.conf import bay as bay_conf
    register, group = {'heat': (heat_conf.register_opts, 'heat_docker'),
                       'bay': (bay_conf.register_opts, 'bay')}[service]
    path = tmp_path / 'service.conf'
    path.write_text(text)
    conf = cfg.ConfigOpts()
    register(conf)
    conf(['--config-file', str(path)])
    opts = conf[group]
    assert (opts.endpoint, opts.api_timeout) == expected
    assert opts.tls_verify is True
    assert opts.tls_client_key is None


# -- endpoints and TLS ------------------------------------------------------

def _opts(endpoint=None, ca=None, cert=None, key=None, verify=True,
          timeout=9):
    """A stand-in for a service's option group."""
    return types.SimpleNamespace(
        endpoint=endpoint, tls_ca_cert=ca, tls_client_cert=cert,
        tls_client_key=key, tls_verify=verify, api_timeout=timeout)


def test_endpoint_falls_back_to_docker_host_then_the_socket(monkeypatch):
    monkeypatch.delenv('DOCKER_HOST', raising=False)
    assert client.endpoint_of(_opts()) == layer_conf.DEFAULT_ENDPOINT
    monkeypatch.setenv('DOCKER_HOST', 'tcp://e:1')
    assert client.endpoint_of(_opts()) == 'tcp://e:1'
    assert client.endpoint_of(_opts('unix:///s')) == 'unix:///s'


@pytest.mark.parametrize('url', ['', None, 'ftp://h', 'h:2375'])
def test_unusable_endpoints_are_refused(url):
    with pytest.raises(client.BadEndpoint):
        client.tls_of(_opts(ca='/ca'), url)


def test_when_tls_is_used():
    files = _opts(ca='/ca', cert='/c', key='/k', verify=False)
    assert client.tls_of(files, 'unix:///s') is None
    assert client.tls_of(files, 'http://h:1') is None
    # tcp is TLS unless verification is off and no file is set.
    assert client.tls_of(_opts(verify=False), 'tcp://h:1') is None
    assert client.tls_of(_opts(), 'tcp://h:1') == client.TLSFiles(
        None, None, None, True)
    assert client.tls_of(files, 'tcp://h:1') == client.TLSFiles(
        '/ca', '/c', '/k', False)
    # https always means TLS, against the system CAs without a CA file.
    assert client.tls_of(_opts(), 'https://h:1') == client.TLSFiles(
        None, None, None, True)


@pytest.fixture
def pki(tmp_path):
    paths = {}
    for name in ('ca.pem', 'cert.pem', 'key.pem'):
        (tmp_path / name).write_text('-----BEGIN X-----\n%s\n' % ('k' * 40))
        paths[name] = str(tmp_path / name)
    return paths


def test_tls_client_uses_the_files_and_ignores_the_environment(
        pki, tmp_path, monkeypatch):
    monkeypatch.setenv('REQUESTS_CA_BUNDLE', str(tmp_path / 'other.pem'))
    monkeypatch.setenv('HTTPS_PROXY', 'http://127.0.0.1:9')
    tls = client.TLSFiles(pki['ca.pem'], pki['cert.pem'], pki['key.pem'],
                          True)
    api = client.api_client('tcp://127.0.0.1:1', tls, timeout=3)
    try:
        assert api.base_url == 'https://127.0.0.1:1'
        assert api.cert == (pki['cert.pem'], pki['key.pem'])
        assert api.timeout == 3
        assert api.api_version == client.MIN_API_VERSION
        settings = api.merge_environment_settings(
            'https://127.0.0.1:1/_ping', {}, None, None, None)
        assert settings['verify'] == pki['ca.pem']
        assert settings['proxies'] == {}
    finally:
        api.close()


def test_high_level_client_ignores_the_environment_too(pki):
    tls = client.TLSFiles(pki['ca.pem'], None, None, False)
    dc = client.docker_client('tcp://127.0.0.1:1', tls)
    try:
        assert isinstance(dc, docker.DockerClient)
        assert dc.api.trust_env is False
        assert dc.api.verify is False
    finally:
        dc.close()


def test_plain_client_for_tcp_only_when_asked():
    api = client.from_conf(_opts('tcp://127.0.0.1:1', timeout=4,
                                 verify=False))
    try:
        assert api.base_url == 'http://127.0.0.1:1'
        assert api.timeout == 4
        assert api.trust_env is False
    finally:
        api.close()


@pytest.mark.parametrize('which', ['ca', 'lone_cert', 'lone_key'])
def test_bad_tls_files_are_refused_by_name(pki, tmp_path, which):
    files = {'ca': (str(tmp_path / 'missing.pem'), None, None),
             'lone_cert': (None, pki['cert.pem'], None),
             'lone_key': (None, None, pki['key.pem'])}[which]
    with pytest.raises(errors.TLS_INVALID):
        client.api_client('tcp://127.0.0.1:1',
                          client.TLSFiles(*files, verify=True))


def test_secrets_hold_the_paths_and_the_key_lines(pki):
    tls = client.TLSFiles(pki['ca.pem'], pki['cert.pem'], pki['key.pem'],
                          True)
    secrets = tls.secrets()
    assert {pki['ca.pem'], pki['cert.pem'], pki['key.pem']} <= set(secrets)
    assert 'k' * 40 in secrets


# -- error mapping ----------------------------------------------------------

class _Recorder(errors.ErrorMap):
    """Names each failure by the method that was asked."""

    def __init__(self):
        self.asked = []

    def _named(self, kind, operation, exc):
        self.asked.append((kind, operation, type(exc)))
        return RuntimeError('%s: %s' % (kind, errors.reason(exc)))

    def invalid_config(self, operation, exc):
        return self._named('invalid_config', operation, exc)

    def unavailable(self, operation, exc):
        return self._named('unavailable', operation, exc)

    def not_found(self, operation, exc):
        return self._named('not_found', operation, exc)

    def api_error(self, operation, exc):
        return self._named('api_error', operation, exc)


class _Conflicts(_Recorder):
    def conflict(self, operation, exc):
        return self._named('conflict', operation, exc)


def _api_error(status, cls=docker_errors.APIError):
    response = requests.Response()
    response.status_code = status
    return cls('%d Client Error' % status, response=response,
               explanation='engine says %d' % status)


def _raise(exc):
    def fn():
        raise exc
    return fn


@pytest.mark.parametrize('exc,kind', [
    (_api_error(404, docker_errors.NotFound), 'not_found'),
    (_api_error(404, docker_errors.ImageNotFound), 'not_found'),
    (_api_error(409), 'conflict'),
    (_api_error(500), 'api_error'),
    (_api_error(400), 'api_error'),
    (requests.exceptions.ConnectionError('refused'), 'unavailable'),
    (requests.exceptions.ReadTimeout('slow'), 'unavailable'),
    (requests.exceptions.ChunkedEncodingError('cut'), 'unavailable'),
    (docker_errors.DockerException('no socket'), 'unavailable'),
    (FileNotFoundError('/x.sock'), 'unavailable'),
    (docker_errors.TLSParameterError('no ca'), 'invalid_config'),
    (client.BadEndpoint('ftp'), 'invalid_config'),
])
def test_each_failure_reaches_its_method(exc, kind):
    recorder = _Conflicts()
    with pytest.raises(RuntimeError) as err:
        errors.call(recorder, 'op', _raise(exc))
    assert recorder.asked == [(kind, 'op', type(exc))]
    assert str(err.value).startswith(kind + ': ')
    # The service's exception replaces the SDK's, without its chain.
    assert err.value.__suppress_context__


def test_conflict_is_an_api_error_unless_a_service_says_otherwise():
    recorder = _Recorder()
    with pytest.raises(RuntimeError, match='api_error: engine says 409'):
        errors.call(recorder, 'op', _raise(_api_error(409)))


def test_results_and_arguments_pass_through():
    assert errors.call(_Recorder(), 'op', lambda a, b=0: a + b, 1, b=2) == 3


def test_other_errors_are_not_swallowed():
    with pytest.raises(KeyError):
        errors.call(_Recorder(), 'op', _raise(KeyError('bug')))


def test_error_map_is_abstract():
    with pytest.raises(TypeError):
        errors.ErrorMap()


# -- the adapter and the version probe, over loopback -----------------------

class _Engine(http.server.BaseHTTPRequestHandler):
    """Answers as the Engine API would; records what it was sent."""

    def log_message(self, *args):
        pass

    def _answer(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        self.server.seen.append(('GET', self.path, None))
        if self.path == '/version':
            self._answer(200, {'ApiVersion': '1.43', 'Version': '24.0'})
        else:
            self._answer(404, {'message': 'page not found'})

    def do_POST(self):
        length = int(self.headers.get('Content-Length') or 0)
        body = json.loads(self.rfile.read(length) or b'null')
        self.server.seen.append(('POST', self.path, body))
        status, answer = self.server.answers.pop(0)
        self._answer(status, answer)


@contextlib.contextmanager
def _engine(answers=()):
    server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), _Engine)
    server.seen = []
    server.answers = list(answers)
    thread = threading.Thread(target=server.serve_forever,
                              kwargs={'poll_interval': 0.05}, daemon=True)
    thread.start()
    try:
        yield server, 'tcp://127.0.0.1:%d' % server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def test_update_posts_engine_field_names_including_pids_and_zeroes():
    with _engine([(200, {'Warnings': []})]) as (server, url):
        api = client.api_client(url, timeout=5)
        try:
            answer = compat.update_container(
                api, 'c/1', {'PidsLimit': 77, 'CpuQuota': 0,
                             'CpusetCpus': '', 'Memory': None})
        finally:
            api.close()
    assert answer == {'Warnings': []}
    # The SDK's update_container would drop the zero and the empty
    # cpuset and has no PidsLimit; None is left out as the SDK does.
    assert server.seen == [('POST', '/v1.41/containers/c%2F1/update',
                            {'PidsLimit': 77, 'CpuQuota': 0,
                             'CpusetCpus': ''})]


@pytest.mark.parametrize('status,cls', [
    (404, docker_errors.NotFound), (409, docker_errors.APIError),
    (500, docker_errors.APIError)])
def test_update_raises_the_sdks_errors(status, cls):
    with _engine([(status, {'message': 'no such container: x'})]) as (
            _server, url):
        api = client.api_client(url, timeout=5)
        try:
            with pytest.raises(cls) as err:
                compat.update_container(api, 'x', {'PidsLimit': 5})
        finally:
            api.close()
    assert err.value.status_code == status
    assert err.value.explanation == 'no such container: x'


def test_auto_version_is_asked_of_the_engine():
    with _engine() as (server, url):
        api = client.api_client(url, timeout=5, version=client.AUTO)
        try:
            assert api.api_version == '1.43'
        finally:
            api.close()
    assert server.seen == [('GET', '/version', None)]


def test_auto_version_of_an_engine_that_is_not_there():
    with _engine() as (_server, url):
        pass
    with pytest.raises(errors.UNAVAILABLE):
        client.api_client(url, timeout=2, version=client.AUTO)
