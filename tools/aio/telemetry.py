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

"""Telemetry in the all-in-one: Ceilometer's compute agents and Prometheus.

Each compute host runs ``ceilometer-polling --polling-namespaces compute``
with the project's pollsters (``docker.*`` in polling.yaml, see
nova_docker_driver/telemetry) under nova-compute's host name, so it finds
that host's instances through the Nova API and reads their containers
from the host's engine. Each agent exports its samples on its own
Prometheus endpoint (Ceilometer's exporter: ``ceilometer_<meter>`` with
``project``, ``resource`` and ``server_group`` labels), and Debian's
Prometheus scrapes them. Prometheus itself has no users: Aetos, in front
of it, is the cloud's ``metric-storage`` endpoint. It checks the caller's
Keystone token and keeps a project's queries to that project's series
(admins see all), so ``openstack metric`` (python-observabilityclient)
shows a tenant its own containers only.

Ceilometer and Aetos run from a venv of their own (``.venv-telemetry``,
see telemetry-requirements.txt).
"""

import os

from tools.aio import layout as layout_mod
from tools.aio import ovn

TVENV = os.path.join(layout_mod.ROOT, '.venv-telemetry')
PROMETHEUS = '/usr/bin/prometheus'
#: Seconds between two polls of every meter, and between two scrapes.
POLL_INTERVAL = 10
SCRAPE_INTERVAL = 5


def exporter_port(lay, engine):
    """The port of one compute's Ceilometer exporter."""
    return lay.port('ceilometer-exporter') + lay.engines.index(engine)


def aetos_conf_file(lay):
    return lay.conf('aetos', 'aetos.conf')


def aetos_paste_file(lay):
    return lay.conf('aetos', 'api-paste.ini')


def aetos_paste(lay):
    """Aetos's WSGI pipeline: Keystone's auth_token reads aetos.conf.

    The paste file Aetos ships names only the project (aetos), so its
    auth_token filter would read /etc/aetos; this one names the cloud's
    file too (keystonemiddleware's ``oslo_config_file``).
    """
    return {
        'composite:aetos+keystone': {
            'use': 'egg:Paste#urlmap', '/': 'versions', '/api/v1': 'v1',
            '/healthcheck': 'healthcheck'},
        'app:healthcheck': {'use': 'egg:oslo.middleware#healthcheck'},
        'app:versions': {
            'paste.app_factory': 'aetos.app:app_factory',
            'root': 'aetos.controllers.root.VersionsController'},
        'pipeline:v1': {'pipeline': 'request_id authtoken api'},
        'app:api': {
            'paste.app_factory': 'aetos.app:app_factory',
            'root': 'aetos.controllers.api.v1.root.V1Controller'},
        'filter:request_id': {
            'paste.filter_factory': 'oslo_middleware:RequestId.factory'},
        'filter:authtoken': {
            'paste.filter_factory':
                'keystonemiddleware.auth_token:filter_factory',
            'oslo_config_project': 'aetos',
            'oslo_config_file': aetos_conf_file(lay)},
    }


def aetos_conf(lay, authtoken):
    """aetos.conf: Keystone tokens in front of the cloud's Prometheus."""
    return {
        'DEFAULT': {'auth_mode': 'keystone', 'use_stderr': 'true',
                    'paste_config': aetos_paste_file(lay)},
        'prometheus': {'host': '127.0.0.1',
                       'port': str(lay.port('prometheus'))},
        'keystone_authtoken': authtoken('aetos'),
    }


def polling_conf_file(lay, engine):
    return lay.conf('ceilometer', 'ceilometer-%s.conf' % engine.host)


def polling_yaml(lay):
    return lay.conf('ceilometer', 'polling.yaml')


def prometheus_yml(lay):
    return lay.conf('prometheus', 'prometheus.yml')


def polling_conf(lay, engine, service_auth):
    """ceilometer.conf of one compute's agent."""
    auth = service_auth('ceilometer')
    auth['interface'] = auth.pop('valid_interfaces')
    return {
        'DEFAULT': {
            'host': engine.host,
            'use_stderr': 'true',
            # Samples go to the exporter only: no notification bus.
            'transport_url': lay.transport_url,
        },
        'polling': {
            'cfg_file': polling_yaml(lay),
            'enable_notifications': 'false',
            'enable_prometheus_exporter': 'true',
            'prometheus_listen_addresses': '127.0.0.1:%d' % exporter_port(
                lay, engine),
            'pollsters_definitions_dirs': '',
        },
        'compute': {
            # The host's instances from the Nova API (libvirt_metadata,
            # the default, reads libvirt domains).
            'instance_discovery_method': 'naive',
            'resource_update_interval': str(POLL_INTERVAL),
        },
        'service_credentials': auth,
        # nova-compute's engine and host-side namespace of this host.
        'docker': {'endpoint': engine.endpoint},
        'docker_network': {'host_netns': ovn.netns_name(lay, engine.host)},
    }


def polling_sources():
    """polling.yaml: every pollster of the project, every POLL_INTERVAL."""
    return {'sources': [{'name': 'docker_instances',
                         'interval': POLL_INTERVAL,
                         'meters': ['docker.*']}]}


def prometheus_config(lay):
    """prometheus.yml: scrape each compute's exporter."""
    return {
        'global': {'scrape_interval': '%ds' % SCRAPE_INTERVAL,
                   'evaluation_interval': '%ds' % SCRAPE_INTERVAL},
        'scrape_configs': [{
            'job_name': 'ceilometer',
            'honor_labels': True,
            'static_configs': [{
                'targets': ['127.0.0.1:%d' % exporter_port(lay, e)
                            for e in lay.engines]}],
        }],
    }


def write_yaml_files(lay, write):
    """polling.yaml and prometheus.yml, with ``write(path, text)``
    (the agents' INI files are in configs.write_all)."""
    import yaml
    write(polling_yaml(lay), yaml.safe_dump(polling_sources()))
    write(prometheus_yml(lay), yaml.safe_dump(prometheus_config(lay)))
    return {'polling.yaml': polling_yaml(lay),
            'prometheus': prometheus_yml(lay)}


def services(lay, service):
    """Prometheus and Aetos, then a Ceilometer compute agent per compute
    host."""
    out = [service('prometheus', [
        PROMETHEUS, '--config.file=%s' % prometheus_yml(lay),
        '--storage.tsdb.path=%s' % os.path.join(lay.data, 'prometheus'),
        '--storage.tsdb.retention.time=1d',
        '--web.listen-address=127.0.0.1:%d' % lay.port('prometheus'),
        # Series of deleted resources may be deleted through the API.
        '--web.enable-admin-api'],
        kind='http', port=lay.port('prometheus'), path='/-/ready'),
        service('aetos', [
            os.path.join(TVENV, 'bin', 'python'), '-m', 'tools.aio.serve',
            '--name', 'aetos', '--port', str(lay.port('aetos')),
            '--app', 'tools.aio.aetos_wsgi:application', '--',
            '--config-file', aetos_conf_file(lay)],
            kind='http', port=lay.port('aetos'), path='/healthcheck')]
    for engine in lay.engines:
        out.append(service('ceilometer-polling-%s' % engine.host, [
            os.path.join(TVENV, 'bin', 'ceilometer-polling'),
            '--polling-namespaces', 'compute',
            '--config-file', polling_conf_file(lay, engine)],
            kind='tcp', port=exporter_port(lay, engine)))
    return out
