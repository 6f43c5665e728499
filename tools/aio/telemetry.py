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

"""Telemetry in the all-in-one: Ceilometer's agents, Prometheus, Aetos, Aodh.

Each compute host runs ``ceilometer-polling --polling-namespaces docker``
(the project's pollsters, see nova_docker_driver/telemetry) under
nova-compute's host name, so it finds that host's instances through the
Nova API and reads their containers from the host's engine, and reads the
Heat plugin's containers (OS::Docker::Container) on that engine too. Each agent
exports its samples on its own Prometheus endpoint (Ceilometer's
exporter: ``ceilometer_<meter>`` with ``project``, ``resource`` and
``server_group`` labels), and Debian's Prometheus scrapes them.
Prometheus itself has no users: Aetos, in front of it, is the cloud's
``metric-storage`` endpoint. It checks the caller's Keystone token and
keeps a project's queries to that project's series (admins see all), so
``openstack metric`` (python-observabilityclient) shows a tenant its own
containers only. Aodh (API, evaluator, notifier) evaluates alarms,
Prometheus queries among them, through Aetos as a service, and calls
alarm actions such as Heat's scaling policies.

Ceilometer, Aetos and Aodh run from a venv of their own
(``.venv-telemetry``, see telemetry-requirements.txt).
"""

import os

from tools.aio import layout as layout_mod
from tools.aio import ovn

TVENV = os.path.join(layout_mod.ROOT, '.venv-telemetry')
PROMETHEUS = '/usr/bin/prometheus'
#: Seconds between two polls of every meter, between two scrapes, and
#: between two evaluations of every alarm.
POLL_INTERVAL = 10
SCRAPE_INTERVAL = 5
EVALUATION_INTERVAL = 10


def exporter_port(lay, engine):
    """The port of one compute's Ceilometer exporter."""
    return lay.port('ceilometer-exporter') + lay.engines.index(engine)


def aetos_conf_file(lay):
    return lay.conf('aetos', 'aetos.conf')


def tvenv_bin(name):
    return os.path.join(TVENV, 'bin', name)


def paste_file(lay, service):
    return lay.conf(service, 'api-paste.ini')


def keystone_paste(lay, service, api_prefix, api_root, versions_root):
    """The WSGI pipeline of Aetos or Aodh (PasteDeploy sections).

    The paste files they ship name only the project for Keystone's
    auth_token filter, which then reads /etc/<service>; this one names the
    cloud's file too (keystonemiddleware's ``oslo_config_file``). The
    composite is ``<service>+keystone``, the name both load.
    """
    factory = {'aetos': 'aetos.app:app_factory',
               'aodh': 'aodh.api.app:app_factory'}[service]
    return {
        'composite:%s+keystone' % service: {
            'use': 'egg:Paste#urlmap', '/': 'versions', api_prefix: 'api',
            '/healthcheck': 'healthcheck'},
        'app:healthcheck': {'use': 'egg:oslo.middleware#healthcheck'},
        'app:versions': {'paste.app_factory': factory,
                         'root': versions_root},
        'pipeline:api': {'pipeline': 'request_id authtoken api_app'},
        'app:api_app': {'paste.app_factory': factory, 'root': api_root},
        'filter:request_id': {
            'paste.filter_factory': 'oslo_middleware:RequestId.factory'},
        'filter:authtoken': {
            'paste.filter_factory':
                'keystonemiddleware.auth_token:filter_factory',
            'oslo_config_project': service,
            'oslo_config_file': lay.conf(service, service + '.conf')},
    }


def aetos_paste(lay):
    return keystone_paste(lay, 'aetos', '/api/v1',
                          'aetos.controllers.api.v1.root.V1Controller',
                          'aetos.controllers.root.VersionsController')


def aodh_paste(lay):
    return keystone_paste(lay, 'aodh', '/v2',
                          'aodh.api.controllers.v2.root.V2Controller',
                          'aodh.api.controllers.root.VersionsController')


def aodh_conf_file(lay):
    return lay.conf('aodh', 'aodh.conf')


def _service_credentials(service_auth, user):
    """[service_credentials] of Ceilometer or Aodh (``interface``, where
    the other services' auth sections say ``valid_interfaces``)."""
    auth = service_auth(user)
    auth['interface'] = auth.pop('valid_interfaces')
    return auth


def aodh_conf(lay, authtoken, service_auth):
    """aodh.conf: the API, evaluator and notifier on the cloud's MariaDB."""
    return {
        'DEFAULT': {
            'use_stderr': 'true',
            'transport_url': lay.transport_url,
            # Seconds between two evaluations of every alarm.
            'evaluation_interval': str(EVALUATION_INTERVAL),
        },
        'api': {'auth_mode': 'keystone',
                'paste_config': paste_file(lay, 'aodh')},
        'database': {'connection': lay.database('aodh', 'aodh')},
        'keystone_authtoken': authtoken('aodh'),
        # How the evaluator reaches metric-storage (Aetos) and the notifier
        # gets trust tokens for alarm actions (trust+http).
        'service_credentials': _service_credentials(service_auth, 'aodh'),
    }


def aetos_conf(lay, authtoken):
    """aetos.conf: Keystone tokens in front of the cloud's Prometheus."""
    return {
        'DEFAULT': {'auth_mode': 'keystone', 'use_stderr': 'true',
                    'paste_config': paste_file(lay, 'aetos')},
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
        'service_credentials': _service_credentials(service_auth,
                                                    'ceilometer'),
        # nova-compute's engine and host-side namespace of this host.
        'docker': {'endpoint': engine.endpoint},
        'docker_network': {'host_netns': ovn.netns_name(lay, engine.host)},
    }


#: What the agents measure: Nova's instances of the host (Ceilometer's
#: discovery) and the Heat plugin's containers on the host's engine (the
#: plugin places them on the computes' engines, configs.heat_conf). One
#: source for both: Ceilometer's exporter drops a meter's series each time
#: a source polls it, so a second source would hide the first one's.
DISCOVERY = ['local_instances', 'heat_containers']


def polling_sources():
    """polling.yaml: every meter of the namespace, every POLL_INTERVAL,
    of every resource of DISCOVERY."""
    return {'sources': [{'name': 'docker_instances',
                         'interval': POLL_INTERVAL,
                         'discovery': list(DISCOVERY),
                         'meters': ['*']}]}


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


def _api(lay, service, name, app, conf):
    """A WSGI API of the telemetry venv (tools/aio/telemetry_wsgi.py)."""
    port = lay.port(name)
    return service(name, [
        tvenv_bin('python'), '-m', 'tools.aio.serve', '--name', name,
        '--port', str(port), '--app', 'tools.aio.telemetry_wsgi:' + app,
        '--', '--config-file', conf],
        kind='http', port=port, path='/healthcheck')


def services(lay, service):
    """Prometheus, Aetos, Aodh's API, evaluator and notifier, and a
    Ceilometer compute agent per compute host."""
    out = [service('prometheus', [
        PROMETHEUS, '--config.file=%s' % prometheus_yml(lay),
        '--storage.tsdb.path=%s' % os.path.join(lay.data, 'prometheus'),
        '--storage.tsdb.retention.time=1d',
        '--web.listen-address=127.0.0.1:%d' % lay.port('prometheus'),
        # Series of deleted resources may be deleted through the API.
        '--web.enable-admin-api'],
        kind='http', port=lay.port('prometheus'), path='/-/ready'),
        _api(lay, service, 'aetos', 'aetos', aetos_conf_file(lay)),
        _api(lay, service, 'aodh-api', 'aodh', aodh_conf_file(lay)),
        service('aodh-evaluator', [
            tvenv_bin('aodh-evaluator'), '--config-file',
            aodh_conf_file(lay)], kind='proc'),
        service('aodh-notifier', [
            tvenv_bin('aodh-notifier'), '--config-file',
            aodh_conf_file(lay)], kind='proc')]
    for engine in lay.engines:
        out.append(service('ceilometer-polling-%s' % engine.host, [
            tvenv_bin('ceilometer-polling'),
            '--polling-namespaces', 'docker',
            '--config-file', polling_conf_file(lay, engine)],
            kind='tcp', port=exporter_port(lay, engine)))
    return out
