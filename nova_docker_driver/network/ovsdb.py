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

"""Open vSwitch through ``ovs-vsctl``: ports for OVS (and OVN) VIFs.

The host end of an OVS VIF becomes a port of the integration bridge with the
external ids Neutron's OVS agent and OVN's controller look for to bind the
port (iface-id, attached-mac, vm-uuid, iface-status), as os-vif does for
VMs. ``vsctl`` is privileged (the ovsdb socket is root's), the rest builds
its arguments.
"""

import os
import shutil

from oslo_concurrency import processutils
from oslo_config import cfg

from nova_docker_driver.network import conf as net_conf
from nova_docker_driver.network.privsep import vif_plug

CONF = cfg.CONF
net_conf.register_opts(CONF)

DEFAULT_SOCKET = '/var/run/openvswitch/db.sock'


class OvsUnavailable(Exception):
    """ovs-vsctl is missing or the database does not answer."""


@vif_plug.entrypoint
def vsctl(args, connection, timeout):
    """Run ``ovs-vsctl`` with ``args``; returns its stdout."""
    command = ['ovs-vsctl', '--timeout=%d' % timeout]
    if connection:
        command.append('--db=%s' % connection)
    try:
        out, _err = processutils.execute(*(command + list(args)))
    except processutils.ProcessExecutionError as err:
        raise OvsUnavailable('ovs-vsctl %s: %s' % (
            ' '.join(args), (err.stderr or err.stdout or '').strip()))
    except OSError as err:
        raise OvsUnavailable('ovs-vsctl cannot run: %s' % err)
    return out


def available():
    return shutil.which('ovs-vsctl') is not None


def reachable():
    """Whether an ovsdb is there to clean up in (no OVS: nothing to do)."""
    if not available():
        return False
    if CONF.docker_network.ovsdb_connection:
        return True
    return os.path.exists(DEFAULT_SOCKET)


def _run(*args):
    opts = CONF.docker_network
    return vsctl(list(args), opts.ovsdb_connection, opts.ovs_vsctl_timeout)


def add_port(bridge, name, port_id, mac, instance_uuid):
    """Make ``name`` a port of ``bridge`` (created if missing), with ids.

    ``ovs_datapath_type`` applies to a bridge made here only: a bridge that
    exists (br-int, made by ovn-controller or the OVS agent) keeps the
    datapath its owner chose.
    """
    create = []
    if bridge not in _run('list-br').split():
        create = ['--', '--may-exist', 'add-br', bridge,
                  '--', 'set', 'Bridge', bridge,
                  'datapath_type=%s' % CONF.docker_network.ovs_datapath_type]
    _run(*create,
         '--', '--may-exist', 'add-port', bridge, name,
         '--', 'set', 'Interface', name,
         'external_ids:iface-id=%s' % port_id,
         'external_ids:iface-status=active',
         'external_ids:attached-mac=%s' % mac,
         'external_ids:vm-uuid=%s' % instance_uuid)


def del_port(name):
    _run('--if-exists', 'del-port', name)


def ports_of_instance(instance_uuid):
    """Names of the OVS interfaces tagged with ``instance_uuid``."""
    out = _run('--bare', '--columns=name', 'find', 'Interface',
               'external_ids:vm-uuid=%s' % instance_uuid)
    return sorted(line.strip() for line in out.splitlines() if line.strip())
