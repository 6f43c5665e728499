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

"""The network side of the all-in-one: OVN, as ML2/OVN deployments run it.

Central: the OVN northbound and southbound databases (ovsdb-server on
127.0.0.1) and ``ovn-northd``. Per compute host (a *chassis*): its own Open
vSwitch database, an ``ovs-vswitchd`` on the user-space datapath
(``datapath_type=netdev``: this machine has no openvswitch kernel module)
and an ``ovn-controller``.

Each chassis's vswitchd runs in a network namespace of its own
(``aio<port base>-<host>``), as if it were a separate machine: its br-int
and its tunnel endpoint are private to it, and nova-compute's driver moves
the host end of every container's veth there (``[docker_network]
host_netns``). The chassis reach each other over an *underlay*: a Linux
bridge in the namespace ``aio<port base>-underlay``, one veth per chassis,
Geneve tunnels between 10.251.0.<n>. compute1 is also the gateway chassis:
its ``br-ex`` is plugged into the *outside* namespace
(``aio<port base>-outside``, 172.24.4.1/24), which plays the world beyond
the cloud: floating IPs are reached from there, and no packet leaves
towards a real network.

Every daemon's files live under the cloud's folder (``data/ovn``,
``data/ovs-<host>``, ``run/ovs-<host>``); nothing uses the system's
/var/run/openvswitch or its database.
"""

import json
import os
import shutil
import socket
import subprocess
import time

UNDERLAY_NET = '10.251.0.%d'
UNDERLAY_PREFIX = 24
OUTSIDE_CIDR = '172.24.4.0/24'
OUTSIDE_GATEWAY = '172.24.4.1'
PUBLIC_POOL = ('172.24.4.10', '172.24.4.250')
PHYSNET = 'public'

OVS_SCHEMA = '/usr/share/openvswitch/vswitch.ovsschema'
NB_SCHEMA = '/usr/share/ovn/ovn-nb.ovsschema'
SB_SCHEMA = '/usr/share/ovn/ovn-sb.ovsschema'
SB_DB_NAME = 'OVN_Southbound'
BINARIES = ('ovsdb-server', 'ovsdb-tool', 'ovsdb-client', 'ovs-vswitchd',
            'ovs-vsctl', 'ovn-northd', 'ovn-controller', 'ovn-nbctl',
            'ovn-sbctl', 'ip', 'ethtool', 'haproxy', 'nsenter')


class NetworkError(Exception):
    pass


def _bin(name):
    """Full path of a tool (the services' argv starts with one)."""
    for folder in ('/usr/sbin', '/usr/bin', '/sbin', '/bin'):
        path = os.path.join(folder, name)
        if os.access(path, os.X_OK):
            return path
    return shutil.which(name) or name


def missing_binaries():
    return [b for b in BINARIES if not os.path.isabs(_bin(b))]


def is_ovn(service_name):
    """Whether a service of services.table is one of OVN's or Open
    vSwitch's daemons."""
    return service_name.startswith(('ovn-', 'ovsdb-', 'ovs-vswitchd-'))


def netns_name(lay, what):
    return 'aio%d-%s' % (lay.port_base, what)


def underlay_ns(lay):
    return netns_name(lay, 'underlay')


def outside_ns(lay):
    return netns_name(lay, 'outside')


def gateway_host(lay):
    return lay.engines[0].host


# ------------------------------------------------------------------ paths
def central_dir(lay):
    return os.path.join(lay.data, 'ovn')


def chassis_data(lay, host):
    return os.path.join(lay.data, 'ovs-' + host)


def chassis_run(lay, host):
    return os.path.join(lay.run, 'ovs-' + host)


def chassis_db(lay, host):
    return 'unix:' + os.path.join(chassis_run(lay, host), 'db.sock')


def nb_connection(lay):
    return 'tcp:127.0.0.1:%d' % lay.port('ovn-nb')


def sb_connection(lay):
    return 'tcp:127.0.0.1:%d' % lay.port('ovn-sb')


def metadata_state(lay, host):
    """state_path of the neutron-ovn-metadata-agent of ``host``."""
    return os.path.join(lay.data, 'neutron-meta-' + host)


def metadata_conf(lay, host):
    """Config file of the neutron-ovn-metadata-agent of ``host``."""
    return lay.conf('neutron', 'ovn-metadata-agent-%s.ini' % host)


def chassis_env(lay, host):
    """The run and log folders every OVS/OVN tool of ``host`` agrees on
    (ovn-controller finds br-int.mgmt in OVS_RUNDIR)."""
    run = chassis_run(lay, host)
    return {'OVS_RUNDIR': run, 'OVS_DBDIR': chassis_data(lay, host),
            'OVS_LOGDIR': lay.logs, 'OVN_RUNDIR': run,
            'OVN_DBDIR': chassis_data(lay, host), 'OVN_LOGDIR': lay.logs}


def central_env(lay):
    run = os.path.join(lay.run, 'ovn')
    return {'OVS_RUNDIR': run, 'OVN_RUNDIR': run,
            'OVS_LOGDIR': lay.logs, 'OVN_LOGDIR': lay.logs,
            'OVN_DBDIR': central_dir(lay), 'OVS_DBDIR': central_dir(lay)}


# --------------------------------------------------------------- services
def central_services(lay, service):
    """The NB and SB ovsdb-servers (TCP on 127.0.0.1)."""
    out = []
    for name, port, db in (('ovn-nb', lay.port('ovn-nb'), 'ovnnb_db.db'),
                           ('ovn-sb', lay.port('ovn-sb'), 'ovnsb_db.db')):
        argv = [_bin('ovsdb-server'), os.path.join(central_dir(lay), db),
                '--remote=ptcp:%d:127.0.0.1' % port,
                '--unixctl=%s' % os.path.join(lay.run, 'ovn',
                                              name + '.ctl')]
        out.append(service(name, argv, env=central_env(lay), kind='tcp',
                           port=port))
    return out


def chassis_db_services(lay, service):
    """One Open vSwitch database per chassis (unix socket)."""
    out = []
    for engine in lay.engines:
        run = chassis_run(lay, engine.host)
        argv = [_bin('ovsdb-server'),
                os.path.join(chassis_data(lay, engine.host), 'conf.db'),
                '--remote=punix:%s' % os.path.join(run, 'db.sock'),
                '--remote=db:Open_vSwitch,Open_vSwitch,manager_options',
                '--unixctl=%s' % os.path.join(run, 'ovsdb-server.ctl')]
        out.append(service('ovsdb-%s' % engine.host, argv,
                           env=chassis_env(lay, engine.host), kind='unix',
                           path=os.path.join(run, 'db.sock')))
    return out


def network_services(lay, service):
    """ovn-northd, then a vswitchd (in its namespace) and an ovn-controller
    per chassis."""
    ctl = os.path.join(lay.run, 'ovn', 'ovn-northd.ctl')
    out = [service('ovn-northd', [
        _bin('ovn-northd'), '--ovnnb-db=%s' % nb_connection(lay),
        '--ovnsb-db=%s' % sb_connection(lay), '--unixctl=%s' % ctl],
        env=central_env(lay), kind='unix', path=ctl)]
    for engine in lay.engines:
        host = engine.host
        run = chassis_run(lay, host)
        vctl = os.path.join(run, 'ovs-vswitchd.ctl')
        out.append(service('ovs-vswitchd-%s' % host, [
            _bin('ip'), 'netns', 'exec', netns_name(lay, host),
            _bin('ovs-vswitchd'),
            chassis_db(lay, host), '--unixctl=%s' % vctl],
            env=chassis_env(lay, host), kind='unix', path=vctl))
        # In the cloud's namespace: it reaches the southbound database on
        # 127.0.0.1, and its chassis's vswitchd through unix sockets.
        # (Its control socket is OVN_RUNDIR/ovn-controller.<pid>.ctl.)
        out.append(service('ovn-controller-%s' % host, [
            _bin('ovn-controller'), chassis_db(lay, host)],
            env=chassis_env(lay, host), kind='proc'))
    return out


# ------------------------------------------------------------ preparation
def _run(argv, env=None, check=True, input=None):
    full = dict(os.environ, **(env or {}))
    proc = subprocess.run(argv, env=full, capture_output=True, text=True,
                          timeout=60, input=input)
    if check and proc.returncode:
        raise NetworkError('%s failed (%d): %s' % (
            ' '.join(argv), proc.returncode,
            (proc.stderr or proc.stdout).strip()))
    return proc.stdout


def create_databases(lay):
    """The database files, on the first start only."""
    os.makedirs(central_dir(lay), exist_ok=True)
    os.makedirs(os.path.join(lay.run, 'ovn'), exist_ok=True)
    for db, schema in (('ovnnb_db.db', NB_SCHEMA), ('ovnsb_db.db', SB_SCHEMA)):
        path = os.path.join(central_dir(lay), db)
        if not os.path.exists(path):
            _run(['ovsdb-tool', 'create', path, schema])
    for engine in lay.engines:
        os.makedirs(chassis_data(lay, engine.host), exist_ok=True)
        os.makedirs(chassis_run(lay, engine.host), exist_ok=True)
        path = os.path.join(chassis_data(lay, engine.host), 'conf.db')
        if not os.path.exists(path):
            _run(['ovsdb-tool', 'create', path, OVS_SCHEMA])


def _netns_exists(name):
    return os.path.exists(os.path.join('/run/netns', name))


def _ns(name, *argv):
    return ['ip', 'netns', 'exec', name] + list(argv)


def plumb(lay):
    """Namespaces, the underlay bridge, the veths; idempotent.

    A veth that exists is kept (vswitchd holds it); only missing parts are
    made.
    """
    under = underlay_ns(lay)
    outside = outside_ns(lay)
    names = [netns_name(lay, e.host) for e in lay.engines] + [under, outside]
    for name in names:
        if not _netns_exists(name):
            _run(['ip', 'netns', 'add', name])
        _run(_ns(name, 'ip', 'link', 'set', 'lo', 'up'))
    # The underlay switch lives in its own namespace: in the host's, the
    # Docker engine's FORWARD policy (DROP) would filter bridged frames.
    if _run(_ns(under, 'ip', '-o', 'link', 'show', 'switch'),
            check=False).strip() == '':
        _run(_ns(under, 'ip', 'link', 'add', 'name', 'switch', 'type',
                 'bridge'))
    _run(_ns(under, 'ip', 'link', 'set', 'switch', 'up'))
    for n, engine in enumerate(lay.engines, 1):
        chassis = netns_name(lay, engine.host)
        here = 'h%d' % n
        if _run(_ns(chassis, 'ip', '-o', 'link', 'show', 'underlay'),
                check=False).strip() == '':
            _run(_ns(under, 'ip', 'link', 'del', here), check=False)
            _run(['ip', 'link', 'add', 'name', here, 'netns', under, 'type',
                  'veth', 'peer', 'name', 'underlay', 'netns', chassis])
        _run(_ns(under, 'ip', 'link', 'set', here, 'master', 'switch', 'up'))
        _run(_ns(chassis, 'ip', 'link', 'set', 'underlay', 'up'))
    gw = netns_name(lay, gateway_host(lay))
    if _run(_ns(gw, 'ip', '-o', 'link', 'show', 'ext'),
            check=False).strip() == '':
        _run(_ns(outside, 'ip', 'link', 'del', 'eth0'), check=False)
        _run(['ip', 'link', 'add', 'name', 'ext', 'netns', gw, 'type', 'veth',
              'peer', 'name', 'eth0', 'netns', outside])
    _run(_ns(gw, 'ip', 'link', 'set', 'ext', 'up'))
    _run(_ns(outside, 'ip', 'addr', 'replace', '%s/24' % OUTSIDE_GATEWAY,
             'dev', 'eth0'))
    _run(_ns(outside, 'ip', 'link', 'set', 'eth0', 'up'))
    # The outside speaks TCP through the user-space datapath: checksums
    # must be filled in by its kernel, not left to an offload.
    _run(_ns(outside, 'ethtool', '-K', 'eth0', 'tx', 'off'))


def unplumb(lay):
    """Delete every namespace of the cloud (their links go with them)."""
    gone = []
    for name in [netns_name(lay, e.host) for e in lay.engines] + [
            underlay_ns(lay), outside_ns(lay)]:
        if _netns_exists(name):
            _run(['ip', 'netns', 'del', name], check=False)
            gone.append(name)
    return gone


def vsctl(lay, host, *args, check=True):
    """ovs-vsctl on a chassis's own OVS database: its output."""
    return _run(['ovs-vsctl', '--timeout=30', '--db=%s' % chassis_db(
        lay, host)] + list(args), env=chassis_env(lay, host), check=check)


def nbctl(lay, *args, check=True):
    """ovn-nbctl on the cloud's northbound database: its output."""
    return _run(['ovn-nbctl', '--db=%s' % nb_connection(lay),
                 '--timeout=10'] + list(args), env=central_env(lay),
                check=check)


def configure_chassis(lay):
    """Each chassis's identity, tunnel endpoint and bridges (before its
    vswitchd starts; ``--no-wait``: no vswitchd to wait for yet)."""
    for n, engine in enumerate(lay.engines, 1):
        host = engine.host
        ids = {
            'system-id': host,
            # Neutron binds a port to Nova's host name; OVN matches the
            # chassis by this.
            'hostname': host,
            'ovn-remote': sb_connection(lay),
            'ovn-encap-type': 'geneve',
            'ovn-encap-ip': UNDERLAY_NET % n,
            'ovn-bridge-datapath-type': 'netdev',
        }
        args = ['--no-wait', 'init']
        if host == gateway_host(lay):
            ids['ovn-bridge-mappings'] = '%s:br-ex' % PHYSNET
            ids['ovn-cms-options'] = 'enable-chassis-as-gw'
            args += ['--', '--may-exist', 'add-br', 'br-ex',
                     '--', 'set', 'Bridge', 'br-ex', 'datapath_type=netdev',
                     '--', '--may-exist', 'add-port', 'br-ex', 'ext']
        args += ['--', '--may-exist', 'add-br', 'br-phy',
                 '--', 'set', 'Bridge', 'br-phy', 'datapath_type=netdev',
                 '--', '--may-exist', 'add-port', 'br-phy', 'underlay']
        args += ['--', 'set', 'Open_vSwitch', '.'] + [
            'external_ids:%s="%s"' % kv for kv in sorted(ids.items())]
        vsctl(lay, host, *args)


def address_underlay(lay, timeout=60):
    """The tunnel endpoint on br-phy. vswitchd makes the br-phy device a
    moment after it answers (longer on a loaded machine): wait for it."""
    for n, engine in enumerate(lay.engines, 1):
        chassis = netns_name(lay, engine.host)
        deadline = time.monotonic() + timeout
        while _run(_ns(chassis, 'ip', '-o', 'link', 'show', 'br-phy'),
                   check=False).strip() == '':
            if time.monotonic() > deadline:
                raise NetworkError(
                    'ovs-vswitchd of %s made no br-phy in %s within %d s; '
                    'see %s/ovs-vswitchd-%s.log' % (
                        engine.host, chassis, timeout, lay.logs,
                        engine.host))
            time.sleep(0.2)
        _run(_ns(chassis, 'ip', 'addr', 'replace', '%s/%d' % (
            UNDERLAY_NET % n, UNDERLAY_PREFIX), 'dev', 'br-phy'))
        _run(_ns(chassis, 'ip', 'link', 'set', 'br-phy', 'up'))


def southbound_ready(lay):
    """True once ovn-northd has written the southbound database's
    SB_Global row. ovn-controller 23.03 may crash (SIGSEGV) when it
    connects to a southbound database that has no such row yet: a fresh
    database, with ovn-northd started the same moment. (Asked with
    ovsdb-client: ovn-sbctl inserts the row itself when it is missing.)"""
    query = json.dumps([SB_DB_NAME, {
        'op': 'select', 'table': 'SB_Global', 'where': [],
        'columns': ['_uuid']}])
    out = _run(['ovsdb-client', '--timeout=10', 'query', sb_connection(lay),
                query], env=central_env(lay), check=False)
    try:
        return bool(json.loads(out)[0]['rows'])
    except (ValueError, LookupError, TypeError):
        return False


def chassis_registered(lay):
    """Hosts whose chassis is in the southbound database."""
    out = _run(['ovn-sbctl', '--db=%s' % sb_connection(lay), '--timeout=10',
                '--bare', '--columns=name', 'list', 'Chassis'],
               env=central_env(lay), check=False)
    return {line.strip() for line in out.splitlines() if line.strip()}


def outside_exec(lay, *argv, timeout=60):
    """Run a command in the outside namespace (the world beyond the cloud);
    returns the CompletedProcess."""
    return subprocess.run(_ns(outside_ns(lay), *argv), capture_output=True,
                          text=True, timeout=timeout)


def unix_open(path, timeout=1.0):
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    try:
        sock.connect(path)
        return True
    except OSError:
        return False
    finally:
        sock.close()
