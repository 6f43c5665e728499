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

"""What the load balancer tests share: the OVN provider's traces in OVN
and Neutron, and requests counted from inside a server's container."""

import collections
import os

from tools.aio import ovn


def nbctl(aio, *args, check=True):
    """ovn-nbctl on the cloud's northbound database: its output, stripped."""
    return ovn.nbctl(aio.lay, *args, check=check).strip()


def ovn_lbs(aio):
    """Names of the load balancers in OVN's northbound database."""
    out = nbctl(aio, '--bare', '--columns=name', 'list', 'Load_Balancer')
    return {line.strip() for line in out.splitlines() if line.strip()}


def fip_trace(aio, lb_id, vip_port_id, fip):
    """Where a floating IP on a load balancer's VIP port stands in OVN,
    in one line (for a failure message): the port's ``neutron:port_fip``
    (Neutron's part), OVN's load balancers of that name and their VIPs
    (the provider's part), the NAT rows of the floating IP and the driver
    agent's last errors and warnings."""
    # Diagnostics only: a failed query is an empty field, not an error.
    port_fip = nbctl(aio, '--if-exists', 'get', 'Logical_Switch_Port',
                     vip_port_id, 'external_ids:"neutron:port_fip"',
                     check=False)
    vips = nbctl(aio, '--bare', '--columns=vips', 'find', 'Load_Balancer',
                 'name=%s' % lb_id, check=False)
    nat = nbctl(aio, '--bare', '--columns=type,logical_ip,external_ip',
                'find', 'NAT', 'external_ip="%s"' % fip, check=False)
    errors = []
    try:
        with open(os.path.join(aio.lay.logs, 'octavia-driver-agent.log'),
                  errors='replace') as f:
            for line in f:
                # oslo.log: "date time pid LEVEL logger message"; the lines
                # of a traceback have an indented or empty message. Warnings
                # too: python-ovs says so when its connection drops.
                level = ' ERROR ' if ' ERROR ' in line else ' WARNING '
                _, _, rest = line.partition(level)
                message = rest.partition(' ')[2].rstrip()
                if message and not message.startswith((' ', 'Traceback')):
                    errors.append(level.strip() + ' ' + message[:300])
    except OSError:
        pass
    return 'port_fip=%r; ovn vips=%r; nat=%r; driver agent: %s' % (
        port_fip, ' '.join(vips.split()), ' '.join(nat.split()),
        ' | '.join(errors[-4:]) or 'none')


def lb_ports(admin):
    """Neutron ports the OVN provider made (VIPs, health-check sources)."""
    return {p.id for p in admin.network.ports()
            if (p.device_owner or '').startswith('ovn-lb')}


def exec_in(aio, server_id, script, detach=False):
    """Run a shell script in the server's container: (exit code, output);
    with ``detach`` it runs in the background and (None, '') comes back."""
    (container,) = aio.containers_of(server_id).values()
    result = container.exec_run(['sh', '-c', script], detach=detach)
    if detach:
        return None, ''
    return result.exit_code, result.output.decode(errors='replace')


def http_get(ip, port, path='/who', timeout=2):
    """A shell command line: one HTTP/1.0 GET with busybox nc, printing
    the answer's last line (nothing when there is no answer)."""
    return ("printf 'GET %s HTTP/1.0\\r\\n\\r\\n' | nc -w %d %s %d | tail -1"
            % (path, timeout, ip, port))


def count_from(aio, server_id, ip, port, n):
    """GET /who ``n`` times from inside a server: {answer: count}; a
    request without an answer counts as ''."""
    script = ('i=0; while [ $i -lt %d ]; do i=$((i+1)); '
              'a=$(%s); echo "=$a"; done' % (n, http_get(ip, port)))
    _code, out = exec_in(aio, server_id, script)
    return collections.Counter(line[1:] for line in out.splitlines()
                               if line.startswith('='))


def servers_gone(conn, server_ids, wait=120):
    """Wait until none of the servers is left."""
    for sid in server_ids:
        server = conn.compute.find_server(sid)
        if server is not None:
            conn.compute.wait_for_delete(server, interval=1, wait=wait)


def best_effort(steps):
    """Run every clean-up step, each whatever the one before did."""
    for step in steps:
        try:
            step()
        except Exception as exc:  # noqa: BLE001 - clean-up goes on
            print('clean-up step failed: %r' % exc)
