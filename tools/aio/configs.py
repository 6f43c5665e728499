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

"""The config files of every all-in-one service, as data, then written.

Each ``*_conf(layout)`` returns ``{section: {option: value}}`` (a list value
becomes one line per item, for multi-valued options); ``write_all`` renders
them into ``$DOS_STATE/aio/etc``. Services that authenticate to Keystone do
so as their own service user in the ``service`` project.
"""

import os

from tools.aio import layout as layout_mod
from tools.aio import octavia
from tools.aio import telemetry
from tools.aio import ovn

NOVA_COMPUTE_DRIVER = 'docker.DockerDriver'
FAKE_COMPUTE_DRIVER = 'fake.FakeDriver'
SCHEDULER_FILTERS = ['scheduler_filters.ArchitectureFilter',
                     'scheduler_filters.TenantShareFilter',
                     'scheduler_filters.InPlaceResizeFilter']
SCHEDULER_WEIGHERS = ['scheduler_filters.TenantShareWeigher',
                      'scheduler_filters.BinPackWeigher']
#: What Neutron's metadata agents sign instance ids with for nova's
#: metadata API (both only listen on this machine).
METADATA_SECRET = 'aio-metadata'
#: Neutron's [DEFAULT] dns_domain: ports' names live under it on networks
#: without a dns_domain of their own.
DNS_DOMAIN = 'aio.internal.'
NOVA_FILTERS = ['ComputeFilter', 'ComputeCapabilitiesFilter',
                'ImagePropertiesFilter', 'ServerGroupAntiAffinityFilter',
                'ServerGroupAffinityFilter']


def _authtoken(lay, user):
    return {
        'www_authenticate_uri': lay.auth_url,
        'auth_url': lay.auth_url,
        'auth_type': 'password',
        'username': user,
        'password': layout_mod.SERVICE_PASSWORD,
        'project_name': 'service',
        'user_domain_name': 'Default',
        'project_domain_name': 'Default',
        'region_name': layout_mod.REGION,
        # No memcached here: keystonemiddleware caches in-process.
        'memcached_servers': '',
    }


def _service_auth(lay, user):
    auth = _authtoken(lay, user)
    del auth['www_authenticate_uri'], auth['memcached_servers']
    auth['valid_interfaces'] = 'public'
    return auth


def keystone_conf(lay):
    return {
        'DEFAULT': {'use_stderr': 'true'},
        'database': {'connection': lay.database('keystone', 'keystone')},
        'token': {'provider': 'fernet'},
        'fernet_tokens': {'key_repository': lay.conf('keystone', 'fernet')},
        'fernet_receipts': {
            'key_repository': lay.conf('keystone', 'fernet')},
        'credential': {
            'key_repository': lay.conf('keystone', 'credential')},
        # bcrypt's fewest rounds, as DevStack sets for its development
        # clouds (KEYSTONE_PASSWORD_HASH_ROUNDS): every password login of
        # a service or a trust costs Keystone about 1 ms instead of 0.3 s
        # of CPU. A production cloud keeps Keystone's default of 12.
        'identity': {'password_hash_rounds': '4'},
    }


def placement_conf(lay):
    return {
        'DEFAULT': {'use_stderr': 'true'},
        'placement_database': {'connection': lay.database('placement', 'placement')},
        'api': {'auth_strategy': 'keystone'},
        'keystone_authtoken': _authtoken(lay, 'placement'),
    }


def _nova_common(lay, host, state_path):
    return {
        'DEFAULT': {
            'transport_url': lay.transport_url,
            'host': host,
            'state_path': state_path,
            'my_ip': '127.0.0.1',
            'use_stderr': 'true',
            # The Docker driver resizes where the container runs (moving
            # one between hosts is refused); the API and both computes
            # read this.
            'allow_resize_to_same_host': 'true',
        },
        'api': {'auth_strategy': 'keystone'},
        'keystone_authtoken': _authtoken(lay, 'nova'),
        'placement': _service_auth(lay, 'nova'),
        'glance': {'valid_interfaces': 'public',
                   'region_name': layout_mod.REGION},
        # Neutron lets only a service (a token with the service role) set
        # a port's binding: Nova sends its service token along.
        'service_user': dict(_service_auth(lay, 'nova'),
                             send_service_user_token='true'),
        'neutron': dict(_service_auth(lay, 'nova'),
                        default_floating_pool=ovn.PHYSNET,
                        # nova's metadata API trusts the agents' proxy.
                        service_metadata_proxy='true',
                        metadata_proxy_shared_secret=METADATA_SECRET),
        'oslo_concurrency': {'lock_path': os.path.join(state_path, 'locks')},
        'vnc': {'enabled': 'false'},
        'spice': {'enabled': 'false'},
        # A container's console is a terminal in it (the driver's
        # get_serial_console), reached through nova-serialproxy.
        'serial_console': {
            'enabled': 'true',
            'base_url': 'ws://127.0.0.1:%d/' % lay.port('nova-serialproxy'),
            'proxyclient_address': '127.0.0.1',
            'serialproxy_host': '127.0.0.1',
            'serialproxy_port': str(lay.port('nova-serialproxy')),
        },
    }


def nova_conf(lay, filters=True):
    """nova-api, nova-conductor and nova-scheduler (the controller)."""
    conf = _nova_common(lay, 'aio-controller', os.path.join(lay.data, 'nova'))
    conf['api_database'] = {'connection': lay.database('nova', 'nova_api')}
    conf['database'] = {'connection': lay.database('nova', 'nova_cell1')}
    conf['wsgi'] = {'api_paste_config': os.path.join(
        lay.venv, 'etc', 'nova', 'api-paste.ini')}
    conf['conductor'] = {'workers': '1'}
    conf['scheduler'] = {'workers': '1',
                         # computes appear without a manual discover_hosts
                         'discover_hosts_in_cells_interval': '2'}
    sched = {'enabled_filters': ','.join(NOVA_FILTERS)}
    if filters:
        sched['available_filters'] = (['nova.scheduler.filters.all_filters']
                                      + SCHEDULER_FILTERS)
        sched['enabled_filters'] = ','.join(
            NOVA_FILTERS + [f.rsplit('.', 1)[1] for f in SCHEDULER_FILTERS])
        sched['weight_classes'] = ','.join(
            ['nova.scheduler.weights.all_weighers'] + SCHEDULER_WEIGHERS)
    conf['filter_scheduler'] = sched
    conf['oslo_policy'] = {'policy_file': lay.conf('nova', 'policy.yaml')}
    return conf


# A refused resize or migration leaves the server as it was; the reason is
# in the failed action event's details, which Nova shows only to admins by
# default. A project reads why its own action failed.
NOVA_POLICY = {
    'os_compute_api:os-instance-actions:events:details':
        'rule:project_reader_or_admin',
}


def nova_compute_conf(lay, engine, driver=NOVA_COMPUTE_DRIVER):
    """One nova-compute host: its own host name, state and engine."""
    state_path = os.path.join(lay.data, 'nova-' + engine.host)
    conf = _nova_common(lay, engine.host, state_path)
    conf['DEFAULT'].update({
        'compute_driver': driver,
        'instances_path': os.path.join(state_path, 'instances'),
        # A vcpu of a flavor is a CFS quota of one CPU, not a pinned core:
        # mostly idle containers share the cores far more than VMs would
        # (Nova's default, 4.0, is 8 containers per host here). Initial
        # only: an operator (or bench_density) may raise it in Placement.
        'initial_cpu_allocation_ratio': '16.0',
    })
    conf['serial_console']['port_range'] = lay.serial_port_range(
        lay.engines.index(engine))
    conf['docker'] = {
        'endpoint': engine.endpoint,
        'image_cache_dir': os.path.join(state_path, 'docker-images'),
    }
    # This host's Open vSwitch, and the namespace its network side lives
    # in (see tools/aio/ovn.py).
    conf['docker_network'] = {
        'ovsdb_connection': ovn.chassis_db(lay, engine.host),
        'ovs_datapath_type': 'netdev',
        'host_netns': ovn.netns_name(lay, engine.host),
    }
    # The privileged netlink calls run in a privsep daemon, started as
    # oslo.privsep documents it (as root here: no rootwrap in between).
    conf['docker_network_privileged'] = {
        'helper_command': '%s --config-file %s' % (
            os.path.join(lay.bin, 'privsep-helper'),
            lay.conf('nova', 'nova-%s.conf' % engine.host)),
    }
    return conf


def neutron_conf(lay):
    """neutron-server (the WSGI API) and its worker processes."""
    return {
        'DEFAULT': {
            'use_stderr': 'true',
            'transport_url': lay.transport_url,
            'core_plugin': 'ml2',
            'service_plugins': 'ovn-router',
            'auth_strategy': 'keystone',
            'api_paste_config': os.path.join(lay.venv, 'etc', 'neutron',
                                             'api-paste.ini'),
            'rpc_workers': '0',
            'rpc_state_report_workers': '0',
            'api_workers': '1',
            'allow_overlapping_ips': 'true',
            # Neutron's Nova notifier sends an event at once, then holds
            # the next ones this long: Nova's own port update (the binding)
            # sends network-changed, so network-vif-plugged leaves at
            # least this after it. 1 is Neutron's minimum (default 2); the
            # DevStack plugin sets the same.
            'send_events_interval': '1',
            'host': 'aio-controller',
            # Neutron ignores a port's dns_name (Nova's hostname) while
            # this is its default, openstacklocal: a domain of the cloud's
            # own, for networks that have none.
            'dns_domain': DNS_DOMAIN,
        },
        'database': {'connection': lay.database('neutron', 'neutron')},
        'keystone_authtoken': _authtoken(lay, 'neutron'),
        'nova': dict(_service_auth(lay, 'neutron')),
        'oslo_concurrency': {'lock_path': os.path.join(
            lay.data, 'neutron', 'locks')},
        'agent': {'root_helper': ''},
    }


def ml2_conf(lay):
    return {
        'ml2': {
            'type_drivers': 'geneve,flat',
            'tenant_network_types': 'geneve',
            'mechanism_drivers': 'ovn',
            # dns: a network's dns_domain and a port's dns_name (Nova sets
            # it to the server's hostname); OVN then answers
            # <hostname>.<dns_domain> for the network's ports itself.
            'extension_drivers': 'port_security,dns',
            'overlay_ip_version': '4',
        },
        'ml2_type_geneve': {'vni_ranges': '1:65536',
                            'max_header_size': '38'},
        'ml2_type_flat': {'flat_networks': ovn.PHYSNET},
        'securitygroup': {'enable_security_group': 'true'},
        'ovn': {
            'ovn_nb_connection': ovn.nb_connection(lay),
            'ovn_sb_connection': ovn.sb_connection(lay),
            'ovn_l3_scheduler': 'leastloaded',
            # A metadata port per network (network:distributed), served
            # by each chassis's neutron-ovn-metadata-agent.
            'ovn_metadata_enabled': 'true',
            'enable_distributed_floating_ip': 'false',
        },
    }


def metadata_agent_conf(lay, engine):
    """neutron-ovn-metadata-agent of one chassis (see tools/aio/metans.py:
    its privileged helper works in the chassis's network namespace)."""
    host = engine.host
    conf_file = ovn.metadata_conf(lay, host)
    helper = 'nsenter --net=/run/netns/%s %s --config-file %s' % (
        ovn.netns_name(lay, host), os.path.join(lay.bin, 'privsep-helper'),
        conf_file)
    conf = {
        'DEFAULT': {
            'use_stderr': 'true',
            'host': host,
            'state_path': ovn.metadata_state(lay, host),
            'metadata_proxy_socket': os.path.join(
                lay.run, 'neutron-meta-%s.sock' % host),
            'nova_metadata_host': '127.0.0.1',
            'nova_metadata_port': str(lay.port('nova-metadata')),
            'metadata_proxy_shared_secret': METADATA_SECRET,
            'metadata_workers': '1',
        },
        'agent': {'root_helper': ''},
        'ovs': {'ovsdb_connection': ovn.chassis_db(lay, host)},
        'ovn': {'ovn_sb_connection': ovn.sb_connection(lay)},
        'oslo_concurrency': {'lock_path': os.path.join(
            ovn.metadata_state(lay, host), 'locks')},
    }
    # Every privsep context of Neutron's starts its daemon the same way.
    for section in ('privsep', 'privsep_dhcp_release', 'privsep_ovs_vsctl',
                    'privsep_namespace', 'privsep_conntrack',
                    'privsep_link'):
        conf[section] = {'helper_command': helper}
    return conf_file, conf


def glance_conf(lay):
    store = os.path.join(lay.data, 'glance')
    return {
        'DEFAULT': {
            'use_stderr': 'true',
            'worker_self_reference_url': lay.url('glance'),
            'enabled_import_methods': '[]',
            'node_staging_uri': 'file://' + os.path.join(store, 'staging'),
        },
        'database': {'connection': lay.database('glance', 'glance')},
        'glance_store': {'stores': 'file', 'default_store': 'file',
                         'filesystem_store_datadir': os.path.join(
                             store, 'images')},
        'os_glance_staging_store': {
            'filesystem_store_datadir': os.path.join(store, 'staging')},
        'os_glance_tasks_store': {
            'filesystem_store_datadir': os.path.join(store, 'tasks')},
        'keystone_authtoken': _authtoken(lay, 'glance'),
        'paste_deploy': {
            'flavor': 'keystone',
            'config_file': os.path.join(lay.venv, 'etc', 'glance',
                                        'glance-api-paste.ini')},
        'oslo_concurrency': {'lock_path': os.path.join(store, 'locks')},
    }


def heat_conf(lay, plugin_dir=None):
    venv_etc = os.path.join(lay.venv, 'etc', 'heat')
    conf = {
        'DEFAULT': {
            'transport_url': lay.transport_url,
            'use_stderr': 'true',
            'num_engine_workers': '1',
            'environment_dir': os.path.join(venv_etc, 'environment.d'),
            'template_dir': os.path.join(venv_etc, 'templates'),
            'heat_metadata_server_url': lay.url('heat-api'),
            'heat_waitcondition_server_url': lay.url(
                'heat-api', '/v1/waitcondition'),
            'region_name_for_services': layout_mod.REGION,
            'host': 'aio-controller',
            # Users of the stacks' own (signals of scaling policies, wait
            # conditions) live in a domain of their own, made by its admin
            # (tools/aio/bootstrap.py), not by the tenant.
            'stack_user_domain_name': layout_mod.HEAT_DOMAIN,
            'stack_domain_admin': layout_mod.HEAT_DOMAIN_ADMIN,
            'stack_domain_admin_password': layout_mod.SERVICE_PASSWORD,
        },
        'database': {'connection': lay.database('heat', 'heat')},
        'keystone_authtoken': _authtoken(lay, 'heat'),
        'trustee': {
            'auth_type': 'password', 'auth_url': lay.auth_url,
            'username': 'heat', 'password': layout_mod.SERVICE_PASSWORD,
            'user_domain_name': 'Default'},
        'clients_keystone': {'auth_uri': lay.url('keystone')},
        'paste_deploy': {'api_paste_config': os.path.join(
            venv_etc, 'api-paste.ini')},
        'heat_api': {'workers': '1'},
        'oslo_concurrency': {'lock_path': os.path.join(
            lay.data, 'heat', 'locks')},
    }
    if plugin_dir:
        conf['DEFAULT']['plugin_dirs'] = plugin_dir
        conf['heat_docker'] = {'endpoint': lay.engines[0].endpoint}
        conf['docker_hosts'] = {'hosts': ','.join(
            '%s=%s' % (e.host, e.endpoint) for e in lay.engines)}
    return conf


def bay_conf(lay):
    """The docker-bay CLI (the showcase's bay): its database on MariaDB."""
    return {'bay': {
        'state_dir': os.path.join(lay.data, 'bay'),
        'endpoint': lay.engines[0].endpoint,
        'connection': lay.database('bay', 'bay'),
    }}


def clouds_yaml(lay):
    def cloud(user, password, project):
        return {
            'auth': {'auth_url': lay.auth_url, 'username': user,
                     'password': password, 'project_name': project,
                     'user_domain_name': 'Default',
                     'project_domain_name': 'Default'},
            'region_name': layout_mod.REGION,
            'identity_api_version': 3,
            'interface': 'public',
        }
    return {'clouds': {
        'aio-admin': cloud('admin', layout_mod.ADMIN_PASSWORD, 'admin'),
        'aio-demo': cloud('demo', layout_mod.DEMO_PASSWORD, 'demo'),
        # A second tenant, to see what one tenant cannot reach of another.
        'aio-alt-demo': cloud('alt_demo', layout_mod.DEMO_PASSWORD,
                              'alt_demo'),
    }}


def render_ini(sections):
    lines = []
    for section, options in sections.items():
        lines.append('[%s]' % section)
        for key, value in options.items():
            values = value if isinstance(value, list) else [value]
            for item in values:
                lines.append('%s = %s' % (key, item))
        lines.append('')
    return '\n'.join(lines)


def _write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = path + '.tmp'
    with open(tmp, 'w') as f:
        f.write(text)
    os.replace(tmp, path)


def write_all(lay, compute_driver=NOVA_COMPUTE_DRIVER, heat_plugin_dir=None,
              scheduler_filters=True):
    """Write every file; returns {name: path}."""
    import yaml
    files = {
        'keystone': (lay.conf('keystone', 'keystone.conf'),
                     keystone_conf(lay)),
        'placement': (lay.conf('placement', 'placement.conf'),
                      placement_conf(lay)),
        'nova': (lay.conf('nova', 'nova.conf'),
                 nova_conf(lay, filters=scheduler_filters)),
        'glance': (lay.conf('glance', 'glance-api.conf'), glance_conf(lay)),
        'heat': (lay.conf('heat', 'heat.conf'),
                 heat_conf(lay, heat_plugin_dir)),
        'docker-bay': (lay.conf('docker-bay.conf'), bay_conf(lay)),
        'neutron': (lay.conf('neutron', 'neutron.conf'), neutron_conf(lay)),
        'ml2': (lay.conf('neutron', 'ml2_conf.ini'), ml2_conf(lay)),
        'aetos': (telemetry.aetos_conf_file(lay), telemetry.aetos_conf(
            lay, lambda user: _authtoken(lay, user))),
        'aetos-paste': (telemetry.paste_file(lay, 'aetos'),
                        telemetry.aetos_paste(lay)),
        'aodh': (telemetry.aodh_conf_file(lay), telemetry.aodh_conf(
            lay, lambda user: _authtoken(lay, user),
            lambda user: _service_auth(lay, user))),
        'aodh-paste': (telemetry.paste_file(lay, 'aodh'),
                       telemetry.aodh_paste(lay)),
        'octavia': (octavia.conf_file(lay), octavia.octavia_conf(
            lay, lambda user: _authtoken(lay, user),
            lambda user: _service_auth(lay, user))),
    }
    for engine in lay.engines:
        files['nova-' + engine.host] = (
            lay.conf('nova', 'nova-%s.conf' % engine.host),
            nova_compute_conf(lay, engine, compute_driver))
        files['ovn-metadata-agent-' + engine.host] = metadata_agent_conf(
            lay, engine)
        files['ceilometer-' + engine.host] = (
            telemetry.polling_conf_file(lay, engine),
            telemetry.polling_conf(lay, engine,
                                   lambda user: _service_auth(lay, user)))
    written = {}
    for name, (path, sections) in files.items():
        _write(path, render_ini(sections))
        written[name] = path
        # The services write into these but do not create them.
        for section, option in (('DEFAULT', 'state_path'),
                                ('DEFAULT', 'instances_path'),
                                ('oslo_concurrency', 'lock_path')):
            folder = sections.get(section, {}).get(option)
            if folder:
                os.makedirs(folder, exist_ok=True)
    _write(lay.conf('nova', 'policy.yaml'), yaml.safe_dump(NOVA_POLICY))
    written['nova-policy'] = lay.conf('nova', 'policy.yaml')
    _write(lay.clouds_yaml, yaml.safe_dump(clouds_yaml(lay)))
    written['clouds.yaml'] = lay.clouds_yaml
    written.update(telemetry.write_yaml_files(lay, _write))
    return written
