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

"""[docker] engine options: the shared spelling, and the old names read."""

from oslo_config import cfg

from nova_docker_driver import conf as docker_conf


def _parsed(tmp_path, text):
    path = tmp_path / 'nova.conf'
    path.write_text(text)
    conf = cfg.ConfigOpts()
    docker_conf.register_opts(conf)
    conf(['--config-file', str(path)])
    return conf


def test_old_tls_names_still_configure_the_driver(tmp_path):
    conf = _parsed(tmp_path, '[docker]\nendpoint = tcp://h:2376\n'
                   'tls_ca = /etc/ca.pem\ntls_cert = /etc/c.pem\n'
                   'tls_key = /etc/k.pem\n')
    assert (conf.docker.tls_ca_cert, conf.docker.tls_client_cert,
            conf.docker.tls_client_key) == ('/etc/ca.pem', '/etc/c.pem',
                                            '/etc/k.pem')


def test_defaults_of_the_driver(tmp_path):
    conf = _parsed(tmp_path, '')
    assert conf.docker.endpoint == 'unix:///var/run/docker.sock'
    assert conf.docker.tls_verify is True
    assert conf.docker.api_timeout == 60
    secret = {o.name for o in docker_conf.ALL_OPTS if o.secret}
    assert secret == {'tls_ca_cert', 'tls_client_cert', 'tls_client_key'}
