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

"""The DevStack plugin's phases, run in the harness, checked by what they wrote.

Config files are read back with oslo.config's own parser, and the Nova side
with Nova's real option definitions, so a misspelt option name or a value
Nova would refuse fails here.
"""

import os
import subprocess
import sys

import pytest
import yaml
from oslo_config import cfg

from nova_docker_driver import conf as driver_conf
from tests.unit.devstack.harness import REPO, Stack

ALL = 'key,n-api,n-cond,n-sch,n-cpu,placement-api,g-api,h-api,h-eng,tempest'
# The sample image needs a real engine: see tests/functional/devstack.
NO_IMAGE = {'DISABLED_SERVICES': 'dos-image'}
PLUGIN_FILES = ['devstack/plugin.sh', 'devstack/settings',
                'devstack/lib/docker-on-openstack']


def _stack(tmp_path, services=ALL, env=None, *steps):
    stack = Stack(tmp_path, services=services, env=dict(NO_IMAGE, **(env or {})))
    stack.run(*(steps or ('stack',)))
    return stack


def _nova_conf(path):
    """nova(-cpu).conf as Nova's scheduler/compute options read it."""
    import nova.conf.compute
    import nova.conf.scheduler
    conf = cfg.ConfigOpts()
    nova.conf.compute.register_opts(conf)
    nova.conf.scheduler.register_opts(conf)
    driver_conf.register_opts(conf)
    conf([], project='nova', default_config_files=[str(path)])
    return conf


def test_plugin_files_are_bashate_clean():
    proc = subprocess.run(
        # The venv running the tests has it (a worktree has no .venv).
        [os.path.join(os.path.dirname(sys.executable), 'bashate'), '-v',
         '-iE006', '-eE005,E042'] + PLUGIN_FILES,
        cwd=REPO, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert 'error' not in proc.stdout.split('Running bashate')[-1].lower()


def test_compute_config_reaches_nova_cpu_conf(tmp_path):
    stack = _stack(tmp_path)
    conf = _nova_conf(stack.path('etc', 'nova', 'nova-cpu.conf'))
    assert conf.compute_driver == 'docker.DockerDriver'
    assert conf.docker.endpoint == 'unix:///nonexistent.sock'
    assert conf.docker.stop_timeout == 10
    assert conf.docker.pids_limit == 1024
    assert conf.docker.image_repository == 'nova-glance'
    assert conf.docker.image_cache_dir.startswith(
        stack.path('opt', 'stack', 'data'))
    # nova-compute runs in the docker group so it can open the socket.
    assert ('run_process n-cpu group=docker nova-compute --config-file %s'
            % stack.path('etc', 'nova', 'nova-cpu.conf')) in stack.calls


def test_every_docker_option_written_is_one_the_driver_defines(tmp_path):
    stack = _stack(tmp_path)
    # [docker], [docker_network] and [docker_network_privileged].
    for group, opts in driver_conf.list_opts():
        name = getattr(group, 'name', group)
        known = {opt.name for opt in opts}
        written = set(stack.nova_cpu_conf.sections[name])
        assert written and written <= known, (name, written - known)


def test_heat_and_bay_options_written_are_ones_the_plugins_define(tmp_path):
    from heat_plugin import conf as heat_conf
    from magnum_bay.conf import bay as bay_conf
    stack = _stack(tmp_path)
    heat_known = {g.name: {o.name for o in opts}
                  for g, opts in heat_conf.list_opts()}
    for group in ('heat_docker', 'docker_hosts'):
        written = set(stack.heat_conf.sections.get(group, {}))
        assert written <= heat_known[group], written - heat_known[group]
    assert stack.heat_conf.sections['heat_docker']
    written = set(stack.ini('etc', 'docker-on-openstack',
                            'docker-bay.conf').sections['bay'])
    assert written and written <= {o.name for o in bay_conf.OPTS}


def test_driver_path_is_the_one_the_shim_provides(tmp_path):
    from nova_docker_driver import shim
    stack = _stack(tmp_path)
    assert stack.nova_conf.get('DEFAULT', 'compute_driver') == \
        shim.COMPUTE_DRIVER
    assert 'nova-docker-shim install' in stack.calls


def _shim_file(stack):
    # The harness's nova-docker-shim runs the real one on this folder.
    return stack.path('nova', 'virt', 'docker', '__init__.py')


def test_shim_is_checked_before_nova_compute_starts(tmp_path):
    from nova_docker_driver import shim
    stack = _stack(tmp_path)
    calls = stack.calls
    assert calls.index('nova-docker-shim install') < calls.index(
        'nova-docker-shim check') < [
            i for i, c in enumerate(calls) if c.startswith('run_process n-cpu')
        ][0]
    # Installed in the install phase, found good: not written twice.
    assert calls.count('nova-docker-shim install') == 1
    with open(_shim_file(stack)) as f:
        assert f.read() == shim.SHIM_SOURCE


def test_shim_removed_by_a_nova_install_is_written_again(tmp_path):
    from nova_docker_driver import shim
    stack = Stack(tmp_path, services=ALL, env=NO_IMAGE)
    stack.run('settings', 'install')
    assert os.path.exists(_shim_file(stack))
    # Nova installed again into a new place after our install phase.
    os.unlink(_shim_file(stack))
    stack.run('settings', 'configure', 'post-config', 'start')
    calls = stack.calls
    assert calls[:2] == ['nova-docker-shim check', 'nova-docker-shim install']
    assert 'nova.virt.docker is missing' in stack.output
    assert 'nova-docker-shim install' in stack.output.split(
        'nova.virt.docker is missing', 1)[1]
    assert shim.check(stack.path('nova', 'virt')) is None
    assert calls.index('nova-docker-shim install') < [
        i for i, c in enumerate(calls) if c.startswith('run_process n-cpu')][0]


def test_no_shim_check_without_the_docker_compute(tmp_path):
    stack = _stack(tmp_path, 'key,n-api,n-cond,n-sch,placement-api,g-api')
    assert 'nova-docker-shim check' not in stack.calls


def test_scheduler_filters_and_weighers_as_nova_reads_them(tmp_path):
    stack = _stack(tmp_path)
    conf = _nova_conf(stack.path('etc', 'nova', 'nova.conf'))
    fs = conf.filter_scheduler
    assert fs.available_filters == [
        'nova.scheduler.filters.all_filters',
        'scheduler_filters.ArchitectureFilter',
        'scheduler_filters.TenantShareFilter',
        'scheduler_filters.InPlaceResizeFilter']
    # DevStack's own list stays, in order, ours appended by class name.
    assert fs.enabled_filters[:7] == [
        'ComputeFilter', 'ComputeCapabilitiesFilter', 'ImagePropertiesFilter',
        'ServerGroupAntiAffinityFilter', 'ServerGroupAffinityFilter',
        'SameHostFilter', 'DifferentHostFilter']
    assert fs.enabled_filters[7:] == ['ArchitectureFilter',
                                      'TenantShareFilter',
                                      'InPlaceResizeFilter']
    assert fs.weight_classes == ['nova.scheduler.weights.all_weighers',
                                 'scheduler_filters.TenantShareWeigher',
                                 'scheduler_filters.BinPackWeigher']


def test_restack_adds_nothing_twice(tmp_path):
    stack = Stack(tmp_path, services=ALL, env=NO_IMAGE)
    stack.run('stack')
    first = open(stack.path('etc', 'nova', 'nova.conf')).read()
    heat_first = open(stack.path('etc', 'heat', 'heat.conf')).read()
    stack.run('stack')
    assert open(stack.path('etc', 'nova', 'nova.conf')).read() == first
    assert open(stack.path('etc', 'heat', 'heat.conf')).read() == heat_first


def test_operator_scheduler_settings_are_kept(tmp_path):
    nova_conf = tmp_path / 'etc' / 'nova' / 'nova.conf'
    nova_conf.parent.mkdir(parents=True)
    # As a local.conf [[post-config|$NOVA_CONF]] would leave them.
    nova_conf.write_text(
        '[filter_scheduler]\navailable_filters = my.filters.Mine\n'
        'weight_classes = my.weights.Heavy\n')
    stack = Stack(tmp_path, services=ALL, env=NO_IMAGE)
    stack.run('settings', 'configure', 'post-config')
    conf = _nova_conf(nova_conf)
    assert conf.filter_scheduler.available_filters == [
        'my.filters.Mine', 'scheduler_filters.ArchitectureFilter',
        'scheduler_filters.TenantShareFilter',
        'scheduler_filters.InPlaceResizeFilter']
    assert conf.filter_scheduler.weight_classes == [
        'my.weights.Heavy', 'scheduler_filters.TenantShareWeigher',
        'scheduler_filters.BinPackWeigher']


def test_heat_plugin_dirs_point_at_installed_resources(tmp_path):
    import heat_plugin.resources
    stack = _stack(tmp_path)
    dirs = stack.heat_conf.get('DEFAULT', 'plugin_dirs').split(',')
    installed = os.path.dirname(os.path.abspath(heat_plugin.resources.__file__))
    assert dirs[-1] == installed
    assert os.path.isfile(os.path.join(dirs[-1], '__init__.py'))
    # Heat's default folders stay searchable.
    assert '/usr/lib/heat' in dirs
    assert stack.heat_conf.get('heat_docker', 'endpoint') == \
        'unix:///nonexistent.sock'
    # What Heat's own plugin set is untouched.
    assert stack.heat_conf.get('DEFAULT', 'stack_user_domain_name') == 'heat'


def test_compute_only_host_gets_no_scheduler_or_heat_config(tmp_path):
    stack = _stack(tmp_path, services='n-cpu')
    conf = stack.nova_conf
    assert conf.get('DEFAULT', 'compute_driver') == 'docker.DockerDriver'
    assert 'filter_scheduler' not in conf.sections or \
        conf.get('filter_scheduler', 'available_filters') is None
    assert not os.path.exists(stack.path('etc', 'heat', 'heat.conf'))


def test_controller_without_compute_gets_no_driver(tmp_path):
    stack = _stack(tmp_path, services='key,n-api,n-cond,n-sch,g-api')
    conf = stack.nova_conf
    assert conf.get('DEFAULT', 'compute_driver') is None
    assert 'docker' not in conf.sections
    assert conf.get('filter_scheduler', 'weight_classes')


def test_pre_install_installs_and_starts_the_engine(tmp_path):
    stack = _stack(tmp_path, ALL, None, 'settings', 'pre-install')
    calls = stack.calls
    assert calls[0] == 'install_package docker.io busybox-static'
    assert calls[2:4] == ['start_service docker',
                          'docker -H unix:///nonexistent.sock version']
    assert calls[1].startswith('add_user_to_group ')
    assert calls[1].endswith(' docker')


def test_pre_install_fails_clearly_when_engine_never_answers(tmp_path):
    stack = Stack(tmp_path, services=ALL,
                  env={'HARNESS_DOCKER_DOWN': '1',
                       'DOCKER_ENGINE_START_TIMEOUT': '2'})
    proc = stack.run('settings', 'pre-install', check=False)
    assert proc.returncode != 0
    assert ('Docker engine at unix:///nonexistent.sock did not answer '
            'within 2s') in stack.output
    assert len(stack.calls_of('docker')) == 2


def test_engine_left_alone_when_docker_engine_disabled(tmp_path):
    stack = _stack(tmp_path, ALL, {'DISABLED_SERVICES': 'docker-engine,dos-image'})
    assert not stack.calls_of('install_package')
    assert not stack.calls_of('start_service')
    stack.run('unstack')
    assert not stack.calls_of('stop_service')


def test_install_develops_the_repo_and_installs_the_shim(tmp_path):
    stack = _stack(tmp_path, ALL, None, 'settings', 'install')
    assert stack.calls_of('setup_develop') == ['setup_develop %s' % REPO]
    assert 'nova-docker-shim install' in stack.calls
    assert os.path.isdir(stack.path('etc', 'docker-on-openstack'))


def test_bay_cli_is_linked_and_configured(tmp_path):
    stack = _stack(tmp_path)
    link = stack.path('usr', 'local', 'bin', 'docker-bay')
    assert os.path.realpath(link) == os.path.realpath(
        os.path.join(stack.bin, 'docker-bay'))
    out = subprocess.run([link, '--version'], capture_output=True, text=True)
    assert out.stdout.startswith('docker-bay')
    bay = stack.ini('etc', 'docker-on-openstack', 'docker-bay.conf')
    assert bay.get('bay', 'endpoint') == 'unix:///nonexistent.sock'
    assert bay.get('bay', 'state_dir') == stack.path(
        'opt', 'stack', 'data', 'docker-bay')


def test_reclaim_service_runs_only_when_enabled(tmp_path):
    stack = _stack(tmp_path)
    assert not [c for c in stack.calls if 'dos-reclaim' in c]
    stack = _stack(tmp_path / 'r', ALL + ',dos-reclaim',
                   {'DOS_SHARE_PLAN_FILE': '/etc/plan.yaml'})
    assert stack.ini('etc', 'docker-on-openstack', 'share-reclaim.conf').get(
        'docker_share_reclaim', 'share_plan_file') == '/etc/plan.yaml'
    assert stack.nova_conf.get('docker_scheduler',
                               'share_plan_file') == '/etc/plan.yaml'
    runs = [c for c in stack.calls_of('run_process') if 'dos-reclaim' in c]
    assert len(runs) == 1
    assert 'docker-share-reclaim --config-file' in runs[0]
    stack.run('settings', 'unstack')
    assert 'stop_process dos-reclaim' in stack.calls
    assert 'stop_service docker' in stack.calls


def test_clean_removes_instances_images_shim_and_config(tmp_path):
    stack = _stack(tmp_path)
    assert os.path.isdir(stack.path('etc', 'docker-on-openstack'))
    stack.env.update(HARNESS_DOCKER_PS='c1 c2', HARNESS_DOCKER_IMAGES='i1')
    stack.run('settings', 'clean')
    docker = stack.calls_of('docker')
    assert any('ps -aq --filter label=org.openstack.nova.instance_uuid' in c
               for c in docker)
    assert docker[-3].endswith('rm -f c1 c2')
    assert docker[-1].endswith('rmi -f i1')
    assert 'nova-docker-shim uninstall' in stack.calls
    assert not os.path.exists(_shim_file(stack))
    assert not os.path.exists(stack.path('etc', 'docker-on-openstack'))


def test_tempest_skips_what_containers_cannot_do(tmp_path):
    stack = Stack(tmp_path, services=ALL,
                  env=dict(NO_IMAGE, DISABLED_SERVICES='dos-image,n-sproxy'))
    os.makedirs(stack.path('glance'))
    open(stack.path('glance', 'docker-idle'), 'w').close()
    stack.run('stack')
    tempest = stack.ini('opt', 'stack', 'tempest', 'etc', 'tempest.conf')
    for feature in ('resize', 'suspend', 'rescue', 'live_migration'):
        assert tempest.get('compute-feature-enabled', feature) == 'False'
    assert tempest.get('compute-feature-enabled', 'console_output') == 'True'
    assert tempest.get('compute-feature-enabled', 'serial_console') == 'False'
    assert tempest.get('compute', 'image_ref') == 'id-of-docker-idle'


def _services(stack):
    with open(stack.path('services.env')) as f:
        left = dict(line.rstrip('\n').split('=', 1) for line in f)
    return left['ENABLED_SERVICES'].split(',')


def _serial_conf(path):
    """nova-cpu.conf's [serial_console] as Nova's own options read it."""
    import nova.conf.serial_console
    conf = cfg.ConfigOpts()
    nova.conf.serial_console.register_opts(conf)
    conf([], project='nova', default_config_files=[str(path)])
    return conf.serial_console


def test_the_serial_console_is_on_where_the_nova_api_runs(tmp_path):
    # A container's only console: DevStack's own nova-serialproxy is turned
    # on, and DevStack's configure_console_compute then enables Nova's
    # serial console for the compute (the harness mirrors it).
    stack = Stack(tmp_path, services=ALL, env=NO_IMAGE)
    os.makedirs(stack.path('glance'))
    open(stack.path('glance', 'docker-idle'), 'w').close()
    stack.run('stack')
    assert 'n-sproxy' in _services(stack)
    serial = _serial_conf(stack.path('etc', 'nova', 'nova-cpu.conf'))
    assert serial.enabled is True
    assert serial.base_url == 'ws://127.0.0.1:6082/'
    # Where the driver listens for nova-serialproxy: Nova's default,
    # loopback, which serves a single-node DevStack.
    assert serial.proxyclient_address == '127.0.0.1'
    tempest = stack.ini('opt', 'stack', 'tempest', 'etc', 'tempest.conf')
    assert tempest.get('compute-feature-enabled', 'serial_console') == 'True'


def test_an_operator_who_disables_n_sproxy_keeps_it_off(tmp_path):
    stack = _stack(tmp_path, ALL, {'DISABLED_SERVICES': 'dos-image,n-sproxy'})
    assert 'n-sproxy' not in _services(stack)
    assert _serial_conf(stack.path('etc', 'nova',
                                   'nova-cpu.conf')).enabled is False


def test_no_serial_proxy_on_a_compute_only_host(tmp_path):
    stack = _stack(tmp_path, 'n-cpu')
    assert 'n-sproxy' not in _services(stack)
    # DevStack's NOVA_SERIAL_ENABLED=True (devstack/README.md) turns the
    # console on there, for the controller's proxy.
    stack = _stack(tmp_path / 'serial', 'n-cpu',
                   {'NOVA_SERIAL_ENABLED': 'True'})
    assert 'n-sproxy' not in _services(stack)
    assert _serial_conf(stack.path('etc', 'nova',
                                   'nova-cpu.conf')).enabled is True


def test_tempest_tests_the_serial_console_with_n_sproxy(tmp_path):
    stack = Stack(tmp_path, services=ALL + ',n-sproxy', env=NO_IMAGE)
    os.makedirs(stack.path('glance'))
    open(stack.path('glance', 'docker-idle'), 'w').close()
    stack.run('stack')
    tempest = stack.ini('opt', 'stack', 'tempest', 'etc', 'tempest.conf')
    assert tempest.get('compute-feature-enabled', 'serial_console') == 'True'


@pytest.mark.parametrize('phase', ['pre-install', 'install', 'post-config',
                                   'extra', 'test-config'])
def test_no_phase_touches_anything_when_nothing_is_enabled(tmp_path, phase):
    stack = Stack(tmp_path, services='key',
                  env={'DISABLED_SERVICES': 'docker-engine,dos-nova,dos-sched,'
                                            'dos-heat,dos-bay,dos-image'})
    stack.run('settings', phase)
    # install always installs the project (the plugin was enabled).
    expected = {'install': {'setup_develop', 'nova-docker-shim', 'sudo'}}
    assert {c.split()[0] for c in stack.calls} <= expected.get(phase, set())


def test_clean_filters_on_the_label_the_driver_sets(tmp_path):
    import nova_docker_driver.driver as driver
    stack = _stack(tmp_path, ALL, None, 'settings')
    stack.run('settings', 'clean')
    assert any('--filter label=%s' % driver.LABEL_UUID in c
               for c in stack.calls_of('docker'))


# Networking on DevStack's ML2/OVN
# --------------------------------

# DevStack's default OVN and Neutron services (stackrc).
OVN_SERVICES = ('ovn-controller,ovn-northd,ovs-vswitchd,ovsdb-server,'
                'q-svc,q-ovn-agent')


def _network_conf(path):
    """[docker_network] and [docker_network_privileged] as nova-compute
    reads them: the driver's and oslo.privsep's own option definitions."""
    conf = cfg.ConfigOpts()
    for group, opts in driver_conf.list_opts():
        conf.register_opts(opts, group=group)
    conf([], project='nova', default_config_files=[str(path)])
    return conf


def _n_cpu_command(stack):
    return [c for c in stack.calls if c.startswith('run_process n-cpu')][0]


def test_network_defaults_fit_devstack_ml2_ovn(tmp_path):
    stack = _stack(tmp_path, ALL + ',' + OVN_SERVICES)
    cpu_conf = stack.path('etc', 'nova', 'nova-cpu.conf')
    conf = _network_conf(cpu_conf)
    net = conf.docker_network
    # The ovsdb DevStack hands Nova's os-vif on this host.
    assert net.ovsdb_connection == 'tcp:127.0.0.1:6640'
    assert net.ovsdb_connection == stack.nova_cpu_conf.get(
        'os_vif_ovs', 'ovsdb_connection')
    # DevStack's OVS_DATAPATH_TYPE default: the kernel datapath.
    assert net.ovs_datapath_type == 'system'
    # Open vSwitch in the host's namespace, ports bound as ovs: the
    # driver's defaults.
    assert net.host_netns is None
    assert net.vif_type_map == {}
    assert conf.docker_network_privileged.helper_command == (
        'sudo nova-rootwrap %s privsep-helper --config-file %s'
        % (stack.path('etc', 'nova', 'rootwrap.conf'), cpu_conf))
    # ... the file nova-compute is started with.
    assert _n_cpu_command(stack).endswith(
        'nova-compute --config-file %s' % cpu_conf)


def test_privsep_daemon_starts_like_novas_own_through_rootwrap(tmp_path):
    import configparser
    from unittest import mock

    from oslo_privsep import priv_context
    from oslo_rootwrap import wrapper

    from nova_docker_driver.network import privsep

    stack = _stack(tmp_path)
    cpu_conf = stack.path('etc', 'nova', 'nova-cpu.conf')
    section = _network_conf(cpu_conf).docker_network_privileged
    # The command oslo.privsep builds from the option in nova-compute.
    with mock.patch.object(priv_context.PrivContext, 'conf',
                           new_callable=mock.PropertyMock,
                           return_value=section):
        argv = privsep.vif_plug.helper_command('/tmp/privsep.sock')
    # Nova's root helper on DevStack, with the rootwrap_config it set.
    assert argv[:3] == ['sudo', 'nova-rootwrap',
                        stack.nova_conf.get('DEFAULT', 'rootwrap_config')]
    wrapped = argv[3:]
    assert wrapped == ['privsep-helper', '--config-file', cpu_conf,
                       '--privsep_context',
                       'nova_docker_driver.network.privsep.vif_plug',
                       '--privsep_sock_path', '/tmp/privsep.sock']
    # Nova's rootwrap.conf as DevStack's configure_rootwrap installs it
    # (Nova's filters, exec_dirs commented out so that sudo's secure_path,
    # which holds the venv's bin, is searched) admits it: no filter file of
    # ours is needed.
    nova_etc = os.path.join(sys.prefix, 'etc', 'nova')
    parser = configparser.RawConfigParser()
    assert parser.read(os.path.join(nova_etc, 'rootwrap.conf'))
    parser.set('DEFAULT', 'filters_path', os.path.join(nova_etc, 'rootwrap.d'))
    parser.remove_option('DEFAULT', 'exec_dirs')
    venv_bin = os.path.dirname(sys.executable)
    with mock.patch.dict(os.environ, PATH=venv_bin + ':/usr/sbin:/usr/bin'):
        rootwrap = wrapper.RootwrapConfig(parser)
    found = wrapper.match_filter(wrapper.load_filters(rootwrap.filters_path),
                                 wrapped, exec_dirs=rootwrap.exec_dirs)
    assert found.run_as == 'root'
    assert found.get_command(wrapped, rootwrap.exec_dirs) == [
        os.path.join(venv_bin, 'privsep-helper')] + wrapped[1:]


def test_network_settings_can_be_overridden(tmp_path):
    helper = 'sudo privsep-helper --config-file /etc/nova/nova-cpu.conf'
    stack = _stack(tmp_path, ALL, {
        'DOS_OVSDB_CONNECTION': 'unix:/usr/local/var/run/openvswitch/db.sock',
        'DOS_OVS_DATAPATH_TYPE': 'netdev',
        'DOS_PRIVSEP_HELPER_COMMAND': helper})
    conf = _network_conf(stack.path('etc', 'nova', 'nova-cpu.conf'))
    assert conf.docker_network.ovsdb_connection == \
        'unix:/usr/local/var/run/openvswitch/db.sock'
    assert conf.docker_network.ovs_datapath_type == 'netdev'
    assert conf.docker_network_privileged.helper_command == helper


def test_datapath_type_follows_devstacks_ovs_datapath_type(tmp_path):
    stack = _stack(tmp_path, ALL, {'OVS_DATAPATH_TYPE': 'netdev'})
    conf = _network_conf(stack.path('etc', 'nova', 'nova-cpu.conf'))
    assert conf.docker_network.ovs_datapath_type == 'netdev'


def test_a_datapath_type_the_driver_refuses_stops_the_stack(tmp_path):
    from nova_docker_driver.network import conf as net_conf
    stack = Stack(tmp_path, services=ALL,
                  env=dict(NO_IMAGE, DOS_OVS_DATAPATH_TYPE='dpdk'))
    proc = stack.run('stack', check=False)
    assert proc.returncode != 0
    assert ("DOS_OVS_DATAPATH_TYPE must be system or netdev, not 'dpdk'"
            in stack.output)
    assert not [c for c in stack.calls if c.startswith('run_process n-cpu')]
    # The two the plugin accepts are the driver's choices; nova-compute
    # would refuse any other value when it reads the option.
    opt = next(o for o in net_conf.OPTS if o.name == 'ovs_datapath_type')
    assert set(opt.type.choices) == {'system', 'netdev'}
    bad = tmp_path / 'bad.conf'
    bad.write_text('[docker_network]\novs_datapath_type = dpdk\n')
    with pytest.raises(cfg.ConfigFileValueError):
        _network_conf(bad).docker_network.ovs_datapath_type


def test_no_ovsdb_connection_where_devstack_gives_os_vif_none(tmp_path):
    stack = Stack(tmp_path, services=ALL, env=NO_IMAGE)
    stack.run('stack')
    assert stack.nova_cpu_conf.get('docker_network', 'ovsdb_connection')
    # A re-stack on a host without DevStack's OVN/OVS ovsdb: the option
    # goes, and ovs-vsctl uses its default socket.
    stack.env['OVSDB_SERVER_LOCAL_HOST'] = ''
    stack.run('stack')
    for conf in (stack.nova_conf, stack.nova_cpu_conf):
        assert conf.get('docker_network', 'ovsdb_connection') is None
        assert conf.get('docker_network', 'ovs_datapath_type') == 'system'
    assert _network_conf(stack.path('etc', 'nova', 'nova-cpu.conf')) \
        .docker_network.ovsdb_connection is None


def _neutron_conf(path):
    """neutron.conf as Neutron's own option definitions read it."""
    from neutron.conf import common as neutron_common
    conf = cfg.ConfigOpts()
    conf.register_opts(neutron_common.core_opts)
    conf([], project='neutron', default_config_files=[str(path)])
    return conf


def test_ovn_and_neutron_are_left_as_devstack_set_them(tmp_path):
    stack = _stack(tmp_path, ALL + ',' + OVN_SERVICES)
    with open(stack.path('services.env')) as f:
        left = dict(line.rstrip('\n').split('=', 1) for line in f)
    assert left['Q_AGENT'] == 'ovn'
    enabled = left['ENABLED_SERVICES'].split(',')
    assert set(OVN_SERVICES.split(',')) <= set(enabled)
    # No OVS or OVN configuration or command of the plugin's, and of
    # Neutron's settings only its notifier's interval.
    words = {w for c in stack.calls for w in c.split() if '/' not in w}
    assert not [w for w in words
                if w.startswith(('ovs-', 'ovn-', 'neutron', 'q-'))]
    neutron = stack.ini('etc', 'neutron', 'neutron.conf').sections
    assert neutron == {'DEFAULT': {
        'core_plugin': ['ml2'],
        'notify_nova_on_port_status_changes': ['True'],
        'send_events_interval': ['1']}}


def test_neutron_sends_events_to_nova_every_second(tmp_path):
    """Nova's port update opens the notifier's batch; a new server's
    network-vif-plugged leaves no earlier than the interval after it."""
    stack = _stack(tmp_path, ALL + ',' + OVN_SERVICES)
    conf = _neutron_conf(stack.path('etc', 'neutron', 'neutron.conf'))
    assert conf.send_events_interval == 1
    # DevStack's own settings stay.
    assert conf.notify_nova_on_port_status_changes is True


def test_neutron_interval_can_be_left_to_neutron(tmp_path):
    stack = _stack(tmp_path, ALL + ',' + OVN_SERVICES,
                   {'DOS_NEUTRON_SEND_EVENTS_INTERVAL': ''})
    conf = _neutron_conf(stack.path('etc', 'neutron', 'neutron.conf'))
    assert conf.send_events_interval == 2


def test_no_neutron_setting_where_its_api_does_not_run(tmp_path):
    stack = _stack(tmp_path, 'n-cpu,q-ovn-agent')
    assert not os.path.exists(stack.path('etc', 'neutron'))


def test_ceilometer_agent_reads_the_docker_compute(tmp_path):
    stack = _stack(tmp_path, ALL + ',ceilometer-acompute')
    path = stack.path('etc', 'ceilometer', 'ceilometer.conf')
    # Read back with the options the project's pollsters register.
    conf = cfg.ConfigOpts()
    driver_conf.register_opts(conf)
    conf([], project='ceilometer', default_config_files=[path])
    assert conf.docker.endpoint == 'unix:///nonexistent.sock'
    assert stack.ini('etc', 'ceilometer', 'ceilometer.conf').get(
        'compute', 'instance_discovery_method') == 'naive'
    # Its own agent: the "docker" polling namespace, in the docker group,
    # with its own polling definitions.
    own = stack.path('etc', 'ceilometer', 'ceilometer-docker.conf')
    assert ('run_process dos-ceilometer group=docker %s/ceilometer-polling '
            '--polling-namespaces docker --config-file %s --config-file %s'
            % (stack.bin, path, own)) in stack.calls
    # uuidd, so libuuid keeps no descriptor per polling thread, before it.
    uuidd = stack.calls.index('start_service uuidd.socket')
    assert stack.calls.index('install_package uuid-runtime') < uuidd < [
        i for i, c in enumerate(stack.calls)
        if c.startswith('run_process dos-ceilometer')][0]
    polling = stack.path('etc', 'ceilometer', 'polling-docker.yaml')
    assert stack.ini('etc', 'ceilometer', 'ceilometer-docker.conf').get(
        'polling', 'cfg_file') == polling
    # One source: the host's instances and the Heat plugin's containers
    # (Heat's engine is the same), every meter, at DevStack's interval.
    (source,) = yaml.safe_load(open(polling))['sources']
    assert source['discovery'] == ['local_instances', 'heat_containers']
    assert (source['meters'], source['interval']) == (['*'], 300)
    assert stack.ini('etc', 'heat', 'heat.conf').get(
        'heat_docker', 'endpoint') == conf.docker.endpoint
    stack.run('settings', 'unstack')
    assert 'stop_process dos-ceilometer' in stack.calls


@pytest.mark.parametrize('services,env', [
    (ALL, {}),                                        # no Ceilometer
    (ALL + ',ceilometer-acompute', {'DISABLED_SERVICES': 'dos-image,'
                                    'dos-ceilometer'}),
    (ALL.replace(',n-cpu', '') + ',ceilometer-acentral', {}),  # no compute
])
def test_no_ceilometer_agent_where_it_has_nothing_to_read(tmp_path, services,
                                                          env):
    stack = _stack(tmp_path, services, env)
    assert not os.path.exists(stack.path('etc', 'ceilometer'))
    assert not [c for c in stack.calls if 'dos-ceilometer' in c
                and c.startswith('run_process')]


def test_every_pollster_entry_point_names_a_class_of_the_project():
    # The pollsters import Ceilometer, which lives in .venv-telemetry
    # (and in DevStack's venv), not in the venv running this test: check
    # the entry points against the module's source instead.
    import configparser
    import re
    parser = configparser.ConfigParser()
    parser.read(os.path.join(REPO, 'setup.cfg'))
    lines = [line.strip() for line in parser.get(
        'entry_points', 'ceilometer.poll.docker').splitlines() if line]
    source = open(os.path.join(REPO, 'nova_docker_driver', 'telemetry',
                               'pollsters.py')).read()
    classes = set(re.findall(r'^class (\w+)\(_OnDocker', source, re.M))
    named = {}
    for line in lines:
        name, target = [x.strip() for x in line.split('=')]
        module, cls = target.split(':')
        assert module == 'nova_docker_driver.telemetry.pollsters'
        named[cls] = name
    assert set(named) == classes
    # Named after their meters: Ceilometer's exporter clears a meter's
    # series by the pollster's name.
    assert 'cpu' in named.values() and 'memory.usage' in named.values()
    discovery = dict(
        [x.strip() for x in line.split('=')] for line in parser.get(
            'entry_points', 'ceilometer.discover.docker').splitlines()
        if line)
    assert discovery == {
        'local_instances': 'ceilometer.compute.discovery:InstanceDiscovery',
        'heat_containers': 'nova_docker_driver.telemetry.pollsters:'
                           'HeatContainerDiscovery'}
    assert re.search(r'^class HeatContainerDiscovery\(', source, re.M)
