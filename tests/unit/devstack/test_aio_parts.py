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

"""The all-in-one's parts on their own: generated configs (read back with the
services' own option definitions), the port layout, the process manager."""

import datetime
import os
import re
import subprocess
import sys
import time

import pytest
from oslo_config import cfg

from nova_docker_driver import conf as driver_conf
from tests.unit.devstack.harness import Ini
from tools.aio import configs
from tools.aio import layout
from tools.aio import metans
from tools.aio import ovn
from tools.aio import procs
from tools.aio import services


def _layout(tmp_path):
    return layout.Layout(state=str(tmp_path), port_base=27000,
                         home=str(tmp_path / 'aio'))


def _written(tmp_path):
    lay = _layout(tmp_path)
    files = configs.write_all(lay, heat_plugin_dir='/x/heat_plugin/resources')
    return lay, files


def _nova(path):
    import nova.conf.compute
    import nova.conf.scheduler
    conf = cfg.ConfigOpts()
    nova.conf.compute.register_opts(conf)
    nova.conf.scheduler.register_opts(conf)
    driver_conf.register_opts(conf)
    conf([], project='nova', default_config_files=[path])
    return conf


def test_scheduler_config_as_nova_reads_it(tmp_path):
    _lay, files = _written(tmp_path)
    fs = _nova(files['nova']).filter_scheduler
    assert fs.available_filters == ['nova.scheduler.filters.all_filters'] + \
        configs.SCHEDULER_FILTERS
    assert fs.enabled_filters[-3:] == ['ArchitectureFilter',
                                       'TenantShareFilter',
                                       'InPlaceResizeFilter']
    assert fs.weight_classes[1:] == configs.SCHEDULER_WEIGHERS


def test_each_compute_has_its_own_host_state_and_engine(tmp_path):
    lay, files = _written(tmp_path)
    seen = set()
    for engine in lay.engines:
        conf = _nova(files['nova-' + engine.host])
        assert conf.compute_driver == 'docker.DockerDriver'
        assert conf.docker.endpoint == engine.endpoint
        ini = Ini(files['nova-' + engine.host])
        assert ini.get('DEFAULT', 'host') == engine.host
        # No database: computes go through the conductor.
        assert 'database' not in ini.sections
        seen.add((ini.get('DEFAULT', 'state_path'), engine.endpoint))
        assert set(ini.sections['docker']) <= {o.name for o in
                                               driver_conf.ALL_OPTS}
        assert os.path.isdir(ini.get('DEFAULT', 'state_path'))
    assert len({s for s, _e in seen}) == len({e for _s, e in seen}) == 2


def test_serial_consoles_on_loopback_with_a_port_range_per_compute(tmp_path):
    import nova.conf.serial_console
    lay, files = _written(tmp_path)
    proxy = lay.port('nova-serialproxy')
    ranges = []
    for name in ['nova'] + ['nova-' + e.host for e in lay.engines]:
        conf = cfg.ConfigOpts()
        nova.conf.serial_console.register_opts(conf)
        conf([], project='nova', default_config_files=[files[name]])
        sc = conf.serial_console
        assert sc.enabled
        assert sc.base_url == 'ws://127.0.0.1:%d/' % proxy
        assert (sc.serialproxy_host, sc.serialproxy_port) == ('127.0.0.1',
                                                              proxy)
        assert sc.proxyclient_address == '127.0.0.1'
        if name != 'nova':
            ranges.append(tuple(map(int, sc.port_range.split(':'))))
    # Apart from each other and from every service port of the cloud.
    (a, b), (c, d) = ranges
    assert a < b <= c < d
    ports = {lay.port(n) for n in layout.PORTS}
    assert not ports & set(range(a, d))
    assert lay.port_base + 16 <= a and d <= lay.port_base + 200
    (svc,) = [s for s in services.all_services(lay)
              if s.name == 'nova-serialproxy']
    assert svc.kind == 'tcp' and svc.port == proxy
    assert svc.argv[-1] == files['nova']


def test_heat_conf_loads_the_plugin_and_knows_both_engines(tmp_path):
    from heat_plugin import conf as heat_conf
    lay, files = _written(tmp_path)
    ini = Ini(files['heat'])
    assert ini.get('DEFAULT', 'plugin_dirs') == '/x/heat_plugin/resources'
    known = {g.name: {o.name for o in opts} for g, opts in
             heat_conf.list_opts()}
    for group in ('heat_docker', 'docker_hosts'):
        assert set(ini.sections[group]) <= known[group]
    assert ini.get('docker_hosts', 'hosts') == ','.join(
        '%s=%s' % (e.host, e.endpoint) for e in lay.engines)


def test_every_url_is_loopback_and_every_port_distinct(tmp_path):
    lay, files = _written(tmp_path)
    ports = [lay.port(name) for name in layout.PORTS]
    assert len(set(ports)) == len(ports)
    for name in files:
        if not files[name].endswith('.conf'):  # clouds.yaml, policy.yaml
            continue
        for section in Ini(files[name]).sections.values():
            for values in section.values():
                for value in values:
                    if '://' in value and value.startswith(
                            ('http', 'rabbit', 'mysql')):
                        assert '@127.0.0.1:' in value or \
                            '//127.0.0.1:' in value, value
    rabbit = open(os.path.join(lay.etc, 'rabbitmq', 'rabbitmq.conf')) \
        if os.path.exists(os.path.join(lay.etc, 'rabbitmq')) else None
    assert rabbit is None or '127.0.0.1' in rabbit.read()


def test_rabbit_listens_on_loopback_only(tmp_path):
    lay = _layout(tmp_path)
    services.write_rabbit_config(lay)
    text = open(os.path.join(lay.etc, 'rabbitmq', 'rabbitmq.conf')).read()
    assert 'listeners.tcp.1 = 127.0.0.1:%d' % lay.port('rabbitmq') in text
    env = services.rabbit_env(lay)
    assert env['ERL_EPMD_ADDRESS'] == '127.0.0.1'
    assert '{127,0,0,1}' in env['RABBITMQ_SERVER_ERL_ARGS']


def test_start_order_and_commands_exist(tmp_path):
    lay = _layout(tmp_path)
    waves = [[s.name for s in wave] for wave in services.table(lay)]
    assert waves[0] == ['mariadb', 'rabbitmq', 'ovn-nb', 'ovn-sb',
                        'ovsdb-compute1', 'ovsdb-compute2']
    # OVN's daemons before the services that talk to it.
    assert waves[1] == ['ovn-northd', 'ovs-vswitchd-compute1',
                        'ovn-controller-compute1', 'ovs-vswitchd-compute2',
                        'ovn-controller-compute2']
    # Keystone alone: the identity bootstrap runs after it.
    assert waves[2] == ['keystone']
    # Octavia's driver agent after the bootstrap (it logs in as the
    # service project at its start), up before Octavia's API.
    assert waves[3][0] == 'octavia-driver-agent'
    assert 'neutron' in waves[3]
    assert {'octavia-api', 'nova-compute-compute1', 'nova-compute-compute2',
            'heat-engine', 'nova-conductor', 'nova-scheduler', 'neutron-periodic-workers',
            'neutron-ovn-maintenance-worker',
            'neutron-ovn-metadata-agent-compute1',
            'neutron-ovn-metadata-agent-compute2', 'prometheus', 'aetos',
            'aodh-api', 'aodh-evaluator', 'aodh-notifier',
            'ceilometer-polling-compute1',
            'ceilometer-polling-compute2'} == set(waves[4])
    assert 'nova-metadata' in waves[3]
    for svc in services.all_services(lay):
        assert os.access(svc.argv[0], os.X_OK), svc.argv[0]


def test_stop_ends_the_whole_process_group(tmp_path):
    lay = _layout(tmp_path)
    lay.makedirs()
    proc = procs.Process(lay, 'sleeper')
    # A parent with a child in its group: both must go.
    pid = proc.start(['bash', '-c', 'sleep 60 & echo "pid-of-child=$!"; wait'])
    assert proc.running() and proc.pid() == pid
    found = []
    for _ in range(200):
        found = re.findall(r'pid-of-child=(\d+)', open(proc.logfile).read())
        if found:
            break
        time.sleep(0.05)
    child = int(found[0])
    assert proc.start(['false']) == pid          # already running: no second
    assert proc.stop(timeout=5) is True
    assert not proc.running()
    assert not os.path.exists(proc.pidfile)
    assert not os.path.exists('/proc/%d' % child) or \
        open('/proc/%d/stat' % child).read().split(') ')[1][0] == 'Z'


def test_a_recycled_pid_is_never_taken_for_the_service(tmp_path):
    lay = _layout(tmp_path)
    lay.makedirs()
    bystander = subprocess.Popen([sys.executable, '-c',
                                  'import time; time.sleep(30)'])
    try:
        proc = procs.Process(lay, 'ghost')
        # The pid file names a live process, but with another start time.
        with open(proc.pidfile, 'w') as f:
            f.write('%d 1\n' % bystander.pid)
        assert not proc.running()
        assert proc.stop() is False
        assert bystander.poll() is None
    finally:
        bystander.kill()
        bystander.wait()


def test_one_shot_command_failure_names_the_command_and_log(tmp_path):
    log = str(tmp_path / 'x.log')
    try:
        procs.run(['bash', '-c', 'echo boom; exit 3'], log)
    except RuntimeError as exc:
        assert 'bash failed (exit 3)' in str(exc)
        assert 'boom' in str(exc) and log in str(exc)
    else:
        raise AssertionError('no error')
    procs.run(['bash', '-c', 'exit 2'], log, ok_codes=(0, 2))


def test_a_restarted_service_is_ready_only_once_it_reported_in():
    from tools.aio import bootstrap
    # Nova's os-services and Heat's services write UTC without a zone.
    started = datetime.datetime(2026, 11, 26, 15, 17, 3, 250000,
                                datetime.timezone.utc).timestamp()
    before_stop = {'state': 'up', 'updated_at': '2026-11-26T15:16:58.031070'}
    same_second = {'state': 'up', 'updated_at': '2026-11-26T15:17:03.100000'}
    new = {'state': 'up', 'updated_at': '2026-11-26T15:17:11.371993'}
    heat_new = {'status': 'up', 'updated_at': None,
                'created_at': '2026-11-26T15:17:10.685543'}
    assert not bootstrap.reported_since(before_stop, started)
    assert not bootstrap.reported_since(same_second, started)
    assert bootstrap.reported_since(new, started)
    assert bootstrap.reported_since(heat_new, started)
    assert not bootstrap.reported_since({'updated_at': None}, started)
    # A service that was already running: any record counts.
    assert bootstrap.reported_since(before_stop, None)


_SLEEP_AS = """
import sys, time, setproctitle
setproctitle.setproctitle(sys.argv[1])
time.sleep(60)
"""


def test_a_service_started_by_hand_is_not_started_twice(tmp_path):
    """nova-conductor running without its pid file (restarted by hand):
    start refuses, naming it, instead of starting a second copy that would
    consume the same queues; also when the process manager (cotyledon, under
    oslo.service's threading backend) has retitled it."""
    from tools.aio import cloud
    lay = _layout(tmp_path)
    every = [s for wave in services.table(lay) for s in wave]
    assert {s.name for s in every if s.signature} == {
        'nova-conductor', 'nova-scheduler', 'heat-engine',
        'nova-compute-compute1', 'nova-compute-compute2'}
    svc = [s for s in every if s.name == 'nova-conductor'][0]
    assert svc.signature == 'nova-conductor --config-file %s' % (
        lay.conf('nova', 'nova.conf'))
    c = cloud.Cloud(lay)
    as_started = [sys.executable, '-c', 'import time; time.sleep(60)',
                  *svc.signature.split()]
    retitled = [sys.executable, '-c', _SLEEP_AS,
                'nova-conductor: master process [%s]' % svc.signature]
    for argv in (as_started, retitled):
        by_hand = subprocess.Popen(argv)
        try:
            deadline = time.monotonic() + 10
            while (by_hand.pid not in procs.running_as(svc.signature)
                   and time.monotonic() < deadline):
                time.sleep(0.05)
            try:
                c._start_wave([svc])
            except cloud.StartError as e:
                assert ('nova-conductor already runs as pid %d'
                        % by_hand.pid) in str(e)
            else:
                raise AssertionError('a second nova-conductor was started')
            assert not os.path.exists(c.process(svc).pidfile)
        finally:
            by_hand.kill()
            by_hand.wait()
    assert procs.running_as(svc.signature) == []


# Each service's configuration file, section and option holding its
# database, and the database user it must use.
DATABASE_OPTIONS = [
    ('keystone', 'database', 'keystone', 'keystone'),
    ('placement', 'placement_database', 'placement', 'placement'),
    ('nova', 'api_database', 'nova', 'nova_api'),
    ('nova', 'database', 'nova', 'nova_cell1'),
    ('glance', 'database', 'glance', 'glance'),
    ('heat', 'database', 'heat', 'heat'),
    ('docker-bay', 'bay', 'bay', 'bay'),
    ('octavia', 'database', 'octavia', 'octavia'),
]


def test_every_database_is_on_the_clouds_mariadb(tmp_path):
    from tools.aio import mariadb
    lay, files = _written(tmp_path)
    for name, section, user, database in DATABASE_OPTIONS:
        ini = Ini(files[name])
        option = 'connection'
        assert ini.get(section, option) == (
            'mysql+pymysql://%s:%s@127.0.0.1:%d/%s?charset=utf8'
            % (user, mariadb.PASSWORD, lay.port('mariadb'), database))
        assert database in mariadb.DATABASES[user]
    for path in files.values():
        assert 'sqlite' not in open(path).read(), path


def test_the_service_users_may_use_their_own_databases_only():
    from tools.aio import mariadb
    statements = mariadb.grants_sql().split(';\n')
    grants = [s for s in statements if s.startswith('GRANT')]
    expected = {(db, user) for user, dbs in mariadb.DATABASES.items()
                for db in dbs}
    assert {tuple(re.match(r"GRANT ALL PRIVILEGES ON `(\w+)`\.\* TO "
                           r"'(\w+)'@'127\.0\.0\.1'$", g).groups())
            for g in grants} == expected
    assert len(grants) == len(expected)
    assert all("@'127.0.0.1'" in s for s in statements if 'USER' in s)


def test_mariadb_reads_only_its_own_option_file_and_keeps_to_the_cloud(
        tmp_path):
    from tools.aio import mariadb
    lay = _layout(tmp_path)
    mariadb.write_config(lay)
    argv = services.table(lay)[0][0].argv
    paths = mariadb.Paths(lay)
    # --defaults-file must come first, or mariadbd reads /etc/mysql too.
    assert argv == [mariadb.MARIADBD, '--defaults-file=%s' % paths.option_file]
    server = Ini(paths.option_file).sections['mysqld']
    assert server['bind-address'] == ['127.0.0.1']
    assert server['port'] == [str(lay.port('mariadb'))]
    for key in ('datadir', 'socket', 'pid-file'):
        (value,) = server[key]
        assert value.startswith(lay.base + os.sep), (key, value)
    assert lay.port('mariadb') == 27013


def test_a_missing_mariadb_is_named_in_one_line(tmp_path, monkeypatch):
    from tools.aio import cloud
    from tools.aio import mariadb
    monkeypatch.setattr(mariadb, 'MARIADBD', str(tmp_path / 'no-mariadbd'))
    try:
        cloud.Cloud(_layout(tmp_path)).start()
    except cloud.StartError as exc:
        text = str(exc)
    else:
        raise AssertionError('started without mariadbd')
    assert text == ("%s missing: install Debian's mariadb-server "
                    "(make aio-apt)" % (tmp_path / 'no-mariadbd'))
    # Nothing was made or started.
    assert not os.path.exists(str(tmp_path / 'aio'))


def test_setup_installs_mariadb_without_starting_debians_service():
    # `make -n` prints the recipe without running it.
    recipe = subprocess.run(['make', '-n', '-s', '-C', layout.ROOT,
                             'aio-apt'], capture_output=True, text=True,
                            check=True).stdout
    assert ('for p in mariadb-server rabbitmq-server ovn-central ovn-host '
            'haproxy prometheus uuid-runtime;' in recipe)
    # A policy-rc.d that refuses (exit 101) while apt-get installs, removed
    # after it unless the machine had one.
    guard = recipe.index('> /usr/sbin/policy-rc.d')
    assert 'exit 101' in recipe[:guard]
    install = recipe.index('apt-get install')
    assert guard < install < recipe.index('rm -f /usr/sbin/policy-rc.d')


def test_every_openstack_cli_command_loads():
    """The CLI prints no plugin-loading warning: each command it finds
    among the installed clients (Heat pulls in many) imports."""
    from importlib.metadata import entry_points
    found = entry_points()
    broken = []
    for group in found.groups:
        if not group.startswith('openstack.') or \
                group == 'openstack.cli.extension':
            continue
        for ep in found.select(group=group):
            try:
                ep.load()
            except Exception as exc:  # noqa: BLE001 - listed below
                broken.append('%s %s: %r' % (group, ep.name, exc))
    assert not broken, broken


def test_env_puts_the_venv_openstack_first(tmp_path):
    """``eval "$(python -m tools.aio env)"`` is all a user needs: the
    cloud's clouds.yaml and the venv's openstack CLI on PATH."""
    lay = layout.Layout(state=str(tmp_path))
    script = ('eval "$(%s -m tools.aio env)"; command -v openstack; '
              'echo "$OS_CLOUD $OS_CLIENT_CONFIG_FILE"'
              % sys.executable)
    out = subprocess.run(
        ['bash', '-c', script], cwd=layout.ROOT, capture_output=True,
        text=True, check=True,
        env=dict(os.environ, DOS_STATE=str(tmp_path),
                 PATH='/usr/bin:/bin')).stdout.splitlines()
    assert out == [os.path.join(lay.bin, 'openstack'),
                   'aio-admin %s' % lay.clouds_yaml]


def test_each_metadata_agent_runs_in_its_chassis_with_its_own_netns_dir(
        tmp_path):
    lay = _layout(tmp_path)
    for engine in lay.engines:
        (agent,) = [s for s in services.all_services(lay)
                    if s.name == 'neutron-ovn-metadata-agent-' + engine.host]
        assert agent.argv[1:5] == ['-m', 'tools.aio.metans', '--chassis',
                                   ovn.netns_name(lay, engine.host)]
        path, conf = configs.metadata_agent_conf(lay, engine)
        assert agent.argv[-2:] == ['--config-file', path]
        # The privileged helper works in the chassis's network namespace;
        # Neutron's SB and nova's metadata API are reached on 127.0.0.1.
        for section in ('privsep', 'privsep_link', 'privsep_namespace'):
            assert conf[section]['helper_command'].startswith(
                'nsenter --net=/run/netns/%s ' % ovn.netns_name(
                    lay, engine.host))
        assert conf['ovs']['ovsdb_connection'] == ovn.chassis_db(
            lay, engine.host)
        assert conf['DEFAULT']['nova_metadata_port'] == str(
            lay.port('nova-metadata'))
        assert conf['DEFAULT']['metadata_proxy_shared_secret'] == (
            configs.nova_conf(lay)['neutron']['metadata_proxy_shared_secret'])


def test_stop_proxies_stops_only_haproxys_and_forgets_their_pid_files(
        tmp_path):
    pids = tmp_path / 'pids'
    pids.mkdir()
    other = subprocess.Popen(['sleep', '30'])
    try:
        (pids / 'net-a.pid').write_text('%d\n' % other.pid)
        (pids / 'net-b.pid').write_text('not a pid\n')
        assert metans.stop_proxies(str(pids)) == []
        assert other.poll() is None  # not a haproxy: left alone
        assert list(pids.iterdir()) == []
    finally:
        other.kill()
        other.wait()
    assert metans.stop_proxies(str(tmp_path / 'absent')) == []


def _octavia_reads(path, *names):
    """Options of octavia.conf as Octavia and its OVN provider read them
    (in a process of their own: Octavia registers its options on the
    global CONF)."""
    script = (
        'import json, sys\n'
        'from oslo_config import cfg\n'
        'from octavia.common import config\n'
        'from ovn_octavia_provider.common import config as ovn_config\n'
        'config.init(["--config-file", sys.argv[1]])\n'
        'ovn_config.register_opts()\n'
        # As the OVN provider builds its Neutron client: the auth plugin's
        # options register as it loads.
        'from keystoneauth1 import loading\n'
        'for section in ("service_auth", "neutron"):\n'
        '    loading.load_auth_from_conf_options(cfg.CONF, section)\n'
        'out = {}\n'
        'for name in sys.argv[2:]:\n'
        '    group, opt = name.split(".")\n'
        '    out[name] = getattr(getattr(cfg.CONF, group), opt)\n'
        'print(json.dumps(out))\n')
    import json
    proc = subprocess.run([sys.executable, '-c', script, path] + list(names),
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout.splitlines()[-1])


def test_octavia_offers_the_ovn_provider_only_and_meets_its_agent(tmp_path):
    from tools.aio import octavia
    lay, files = _written(tmp_path)
    got = _octavia_reads(
        files['octavia'], 'api_settings.enabled_provider_drivers',
        'api_settings.default_provider_driver',
        'driver_agent.enabled_provider_agents',
        'driver_agent.status_socket_path', 'ovn.ovn_nb_connection',
        'ovn.ovn_sb_connection', 'database.connection',
        'service_auth.auth_url', 'neutron.auth_url',
        'neutron.endpoint_override')
    assert list(got['api_settings.enabled_provider_drivers']) == ['ovn']
    assert got['api_settings.default_provider_driver'] == 'ovn'
    assert got['driver_agent.enabled_provider_agents'] == ['ovn']
    # The path octavia_lib's DriverLibrary (the OVN driver in the API)
    # uses: the launcher binds the cloud's folder there.
    from octavia_lib.api.drivers import driver_lib
    assert os.path.realpath(driver_lib.DEFAULT_STATUS_SOCKET) == \
        os.path.realpath(got['driver_agent.status_socket_path'])
    assert got['ovn.ovn_nb_connection'] == [ovn.nb_connection(lay)]
    assert got['ovn.ovn_sb_connection'] == [ovn.sb_connection(lay)]
    assert got['database.connection'].endswith(
        '127.0.0.1:%d/octavia?charset=utf8' % lay.port('mariadb'))
    assert got['service_auth.auth_url'] == lay.auth_url
    assert got['neutron.auth_url'] == lay.auth_url
    # Neutron's address as the catalog has it: Octavia's API then uses the
    # tenant's token as it is, instead of a password login per request.
    assert got['neutron.endpoint_override'] == lay.url('neutron')
    by_name = {s.name: s for s in services.all_services(lay)}
    api, agent = by_name['octavia-api'], by_name['octavia-driver-agent']
    for svc in (api, agent):
        assert svc.argv[1:5] == ['-m', 'tools.aio.octavia', '--sockets',
                                 octavia.socket_dir(lay)]
        assert svc.argv[-2:] == ['--config-file', files['octavia']]
    assert api.port == lay.port('octavia-api') == 27009
    # The agent runs in the launcher's process (its models mapped before
    # it forks its status handlers), the API through serve.py.
    assert agent.argv[5:7] == ['--driver-agent', '--']
    assert 'tools.aio.serve' in api.argv
    # The agent is up (its status socket made) before the API, in an
    # earlier wave: the API drops a provider whose agent it cannot reach.
    waves = [[s.name for s in w] for w in services.table(lay)]
    at = {name: i for i, wave in enumerate(waves) for name in wave}
    assert at['octavia-driver-agent'] < at['octavia-api']
    assert agent.kind == 'socket'
    assert agent.path == os.path.join(octavia.socket_dir(lay), 'status.sock')


def test_a_socket_kind_service_is_healthy_without_a_connection(tmp_path):
    # Octavia's status listener forks a handler per connection that spins
    # on a peer closing without a message: the check must not connect.
    import socket
    path = str(tmp_path / 'status.sock')
    assert not services.socket_made(path)
    before = time.time()
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        server.bind(path)
        server.listen(1)
        server.setblocking(False)
        assert services.socket_made(path)
        assert services.socket_made(path, since=before)
        # A socket left from an earlier run does not count.
        assert not services.socket_made(path, since=time.time() + 60)
        try:
            server.accept()
            connected = True
        except BlockingIOError:
            connected = False
        assert not connected
    finally:
        server.close()
    plain = tmp_path / 'plain'
    plain.write_text('')
    assert not services.socket_made(str(plain))


@pytest.mark.root
def test_octavia_processes_meet_at_the_clouds_own_socket_folder(tmp_path):
    from tools.aio import octavia
    folder = tmp_path / 'sockets'
    probe = 'probe-%d' % os.getpid()
    proc = subprocess.run(
        [sys.executable, '-m', 'tools.aio.octavia', '--sockets', str(folder),
         '--', '/bin/sh', '-c', 'echo here > %s/%s' % (octavia.SOCKET_DIR,
                                                        probe)],
        cwd=layout.ROOT, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert (folder / probe).read_text() == 'here\n'
    # Nothing of it shows on the machine's own /run/octavia.
    assert not os.path.exists(os.path.join(octavia.SOCKET_DIR, probe))


@pytest.mark.root
def test_octavia_driver_agent_runs_its_own_entry_point_with_mapped_models(
        tmp_path):
    # --driver-agent hands the arguments to octavia.cmd.driver_agent.main
    # (oslo.config answers --help with the agent's own usage) after the
    # models' mappers are configured.
    script = (
        'import sys, sqlalchemy.orm\n'
        'from tools.aio import octavia\n'
        'from octavia.cmd import driver_agent\n'
        'def main():\n'
        '    from octavia.db import models\n'
        '    mapper = sqlalchemy.orm.class_mapper(models.LoadBalancer,\n'
        '                                         configure=False)\n'
        '    print("configured", mapper.configured)\n'
        '    return 0\n'
        'driver_agent.main = main\n'
        'octavia.main(sys.argv[1:])\n')
    folder = tmp_path / 'sockets'
    proc = subprocess.run(
        [sys.executable, '-c', script, '--sockets', str(folder),
         '--driver-agent', '--', '--config-file', '/nonexistent'],
        cwd=layout.ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert 'configured True' in proc.stdout
    real = subprocess.run(
        [sys.executable, '-m', 'tools.aio.octavia', '--sockets', str(folder),
         '--driver-agent', '--', '--help'],
        cwd=layout.ROOT, capture_output=True, text=True, timeout=120)
    assert real.returncode == 0, real.stderr[-2000:]
    assert 'octavia-driver-agent' in real.stdout


def test_each_compute_has_a_ceilometer_agent_that_prometheus_scrapes(
        tmp_path):
    import yaml
    from nova_docker_driver.network import conf as net_conf
    from tools.aio import telemetry
    lay, files = _written(tmp_path)
    ports = set()
    for engine in lay.engines:
        path = files['ceilometer-' + engine.host]
        ini = Ini(path)
        # nova-compute's host name, its engine and its host-side netns,
        # read back with the options the pollsters register.
        conf = cfg.ConfigOpts()
        driver_conf.register_opts(conf)
        net_conf.register_opts(conf)
        conf.register_opt(cfg.StrOpt('host'))
        conf([], project='ceilometer', default_config_files=[path])
        assert conf.host == engine.host
        assert conf.docker.endpoint == engine.endpoint
        assert conf.docker_network.host_netns == ovn.netns_name(
            lay, engine.host)
        assert ini.get('compute', 'instance_discovery_method') == 'naive'
        assert ini.get('polling', 'enable_notifications') == 'false'
        listen = ini.get('polling', 'prometheus_listen_addresses')
        assert listen == '127.0.0.1:%d' % telemetry.exporter_port(lay, engine)
        ports.add(listen)
        assert ini.get('service_credentials', 'username') == 'ceilometer'
    assert len(ports) == len(lay.engines)
    sources = yaml.safe_load(open(files['polling.yaml']))['sources']
    assert [s['meters'] for s in sources] == [['*']]
    # One source finds both the instances and the Heat plugin's containers
    # (Heat places them on the computes' engines, which the agents read).
    assert sources[0]['discovery'] == ['local_instances', 'heat_containers']
    heat = Ini(files['heat'])
    assert sorted(e.split('=', 1)[1] for e in heat.get(
        'docker_hosts', 'hosts').split(',')) == sorted(
        e.endpoint for e in lay.engines)
    for engine in lay.engines:
        (agent,) = [s for s in services.all_services(lay)
                    if s.name == 'ceilometer-polling-' + engine.host]
        assert agent.argv[1:3] == ['--polling-namespaces', 'docker']
    scrape = yaml.safe_load(open(files['prometheus']))['scrape_configs']
    assert sorted(scrape[0]['static_configs'][0]['targets']) == sorted(ports)


def _network_start_rig(tmp_path, monkeypatch, lives):
    """A cloud whose network wave is ovn-northd and one 'ovn-controller'
    (real processes: a sleep; the controller's first ``lives`` starts end
    at once, as ovn-controller's start-up crash does); OVN's own checks
    answer from what ran. Returns (cloud, the wave, the order of starts
    and checks, what the cloud logged)."""
    from tools.aio import cloud
    lay = _layout(tmp_path)
    lay.makedirs()
    starts, log = [], []

    def service(name, crash):
        # Each start appends a line; the first ``lives`` starts exit.
        counter = tmp_path / (name + '.starts')
        script = ('import sys, time; f = open(%r, "a"); f.write("x\\n"); '
                  'f.close(); n = len(open(%r).read().split()); '
                  'sys.exit("segfault %%d" %% n) if %s and n <= %d '
                  'else time.sleep(60)' % (str(counter), str(counter),
                                           crash, lives))
        return services.Service(name, [sys.executable, '-c', script],
                                kind='proc')

    northd = service('ovn-northd', False)
    controller = service('ovn-controller-compute1', True)
    monkeypatch.setattr(ovn, 'configure_chassis', lambda lay: None)
    monkeypatch.setattr(ovn, 'address_underlay', lambda lay: None)
    monkeypatch.setattr(ovn, 'southbound_ready', lambda lay: (
        starts.append('sb-check') or 'ovn-northd' in starts))
    monkeypatch.setattr(ovn, 'chassis_registered', lambda lay: (
        {e.host for e in lay.engines} if starts.count(controller.name)
        else set()))
    c = cloud.Cloud(lay, log=log.append)
    real = c._start_wave

    def start_wave(wave, session=None):
        starts.extend(s.name for s in wave)
        try:
            return real(wave, session)
        finally:
            # Let a crashing start end before the next check.
            time.sleep(0.5)
    monkeypatch.setattr(c, '_start_wave', start_wave)
    return c, [northd, controller], starts, log


def test_chassis_start_after_northd_wrote_the_southbound_database(
        tmp_path, monkeypatch):
    c, wave, starts, log = _network_start_rig(tmp_path, monkeypatch, 0)
    try:
        c._start_network(wave)
        assert starts.index('sb-check') > starts.index('ovn-northd')
        assert starts.index('ovn-controller-compute1') > starts.index(
            'sb-check')
        assert not log
    finally:
        for svc in wave:
            c.process(svc).stop()


def test_an_ovn_controller_that_dies_once_during_start_is_started_again(
        tmp_path, monkeypatch):
    from tools.aio import cloud
    c, wave, starts, log = _network_start_rig(tmp_path, monkeypatch, 1)
    try:
        c._start_network(wave)
        assert starts.count('ovn-controller-compute1') == 2
        assert c.process(wave[1]).running()
        assert log == ['ovn-controller-compute1 exited during start '
                       '(segfault 1); starting it again']
    finally:
        for svc in wave:
            c.process(svc).stop()
    c, wave, starts, log = _network_start_rig(tmp_path / 'twice',
                                              monkeypatch, 2)
    try:
        with pytest.raises(cloud.StartError) as err:
            c._start_network(wave)
        assert str(err.value).startswith(
            'OVN is down: ovn-controller-compute1 exited during start '
            '(segfault 2); see ')
    finally:
        for svc in wave:
            c.process(svc).stop()


def test_python_services_start_with_two_malloc_arenas(tmp_path):
    lay = _layout(tmp_path)
    by_name = {svc.name: svc for svc in services.all_services(lay)}
    for name in ('nova-api', 'nova-conductor', 'heat-engine',
                 'ceilometer-polling-compute1'):
        env = services.service_env(lay, by_name[name])
        assert env['MALLOC_ARENA_MAX'] == '2', name
    # A service's own environment still comes last.
    assert services.service_env(lay, by_name['nova-api'])[
        'OS_NOVA_CONFIG_DIR'] == lay.conf('nova')
    # Not the C and Erlang servers: MariaDB's threads do allocate at once.
    for name in ('mariadb', 'rabbitmq'):
        assert 'MALLOC_ARENA_MAX' not in services.service_env(
            lay, by_name[name]), name
