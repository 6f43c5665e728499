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

"""Metrics of container instances end to end: Ceilometer, Prometheus, Aetos.

On the session's all-in-one (conftest.py): each compute's
``ceilometer-polling`` reads its containers with the project's pollsters
and exports the samples, Prometheus scrapes them, and Aetos (the
catalog's ``metric-storage``) answers each tenant with its own series.
The tenants here are ``demo`` and ``alt_demo``; the load and the traffic
come from the test's own containers, on the test's own network, in bounded
loops. The queries go over HTTP with each user's Keystone token, as
python-observabilityclient sends them, and once through ``openstack
metric``.
"""

import os

import psutil
import pytest

from tools.aio import procs
from tools.aio import services
from tests.functional.devstack.conftest import wait
from tests.functional.devstack.scaletools import Metrics
from tests.functional.devstack.scaletools import SHOWS_WITHIN

pytestmark = [pytest.mark.slow, pytest.mark.docker]

NET = 'metrics-net'
ALT_NET = 'metrics-alt-net'
GROUP = 'metrics-group'
WEB_PORT = 8080


def _network(aio, cloud, name, cidr):
    aio.openstack('network', 'create', name, cloud=cloud)
    aio.openstack('subnet', 'create', '--network', name, '--subnet-range',
                  cidr, name + '-subnet', cloud=cloud)


def _boot(aio, cloud, name, network, *extra):
    return aio.openstack_json('server', 'create', '--image', 'dos-httpd',
                              '--flavor', 'docker.tiny', '--network',
                              network, *extra, name, cloud=cloud)['id']


def _active(aio, server_id):
    def check():
        server = aio.openstack_json('server', 'show', server_id)
        assert server['status'] != 'ERROR', server.get('fault')
        return server if server['status'] == 'ACTIVE' else None
    return wait(check, what='server %s ACTIVE' % server_id)


@pytest.fixture(scope='module')
def servers(aio):
    _network(aio, 'aio-demo', NET, '10.31.0.0/24')
    _network(aio, 'aio-alt-demo', ALT_NET, '10.31.0.0/24')
    ids = {
        'a': _boot(aio, 'aio-demo', 'metrics-a', NET, '--property',
                   'metering.server_group=' + GROUP),
        'b': _boot(aio, 'aio-demo', 'metrics-b', NET),
        'alt': _boot(aio, 'aio-alt-demo', 'metrics-alt', ALT_NET),
    }
    try:
        yield {k: _active(aio, v) for k, v in ids.items()}
    finally:
        for key, server_id in ids.items():
            aio.openstack('server', 'delete', '--wait', server_id,
                          check=False)
        for cloud, net in (('aio-demo', NET), ('aio-alt-demo', ALT_NET)):
            aio.openstack('network', 'delete', net, cloud=cloud,
                          check=False)


def _exec(aio, server_id, script):
    (container,) = aio.containers_of(server_id).values()
    return container.exec_run(['sh', '-c', script])


def _address(server, network):
    return server['addresses'][network][0]


def test_a_container_has_the_compute_meters_in_libvirts_names_and_units(
        aio, servers):
    demo = Metrics(aio, 'aio-demo')
    rid = servers['a']['id']
    sel = '{resource="%s"}' % rid
    # The flavor (docker.tiny): 1 vcpu, 64 MiB, enforced as the limit.
    assert demo.shown('ceilometer_vcpus' + sel) == 1
    assert demo.shown('ceilometer_memory' + sel) == 64
    used = demo.shown('ceilometer_memory_usage' + sel)
    assert 0 < used <= 64
    assert demo.shown('ceilometer_cpu' + sel) > 0
    (cpu,) = demo.query('ceilometer_cpu' + sel)
    labels = cpu['metric']
    assert (labels['unit'], labels['project'], labels['server_group']) == (
        'ns', servers['a']['project_id'], GROUP)
    assert labels['resource_name'].startswith('metrics-a:')
    # One network meter per port, named after its tap device like
    # libvirt's: <instance name>-<uuid>-tap<port id>.
    (port,) = aio.openstack_json('port', 'list', '--server', rid)
    tap = 'tap' + port['ID'][:11]
    (rx,) = demo.query('ceilometer_network_incoming_bytes{resource=~'
                       '".*-%s-%s"}' % (rid, tap))
    assert rx['metric']['unit'] == 'B'


def test_cpu_time_grows_with_the_work_done_in_the_container(aio, servers):
    demo = Metrics(aio, 'aio-demo')
    sel = 'ceilometer_cpu{resource="%s"}' % servers['a']['id']
    before = demo.shown(sel)
    # A bounded busy loop; the shell then reports the CPU time it used
    # (utime + stime of /proc/self/stat, in clock ticks).
    code, out = _exec(aio, servers['a']['id'],
                      'i=0; while [ $i -lt 1500000 ]; do i=$((i+1)); done; '
                      'cat /proc/$$/stat')
    assert code == 0, out
    fields = out.decode().rsplit(')', 1)[1].split()
    used = (int(fields[11]) + int(fields[12])) / os.sysconf('SC_CLK_TCK')
    assert used > 0.5, used
    # Ceilometer's cpu counts at least what the loop used (in ns).
    grown = demo.shown(sel, lambda v: v - before >= used * 0.9e9,
                       what='cpu to grow by %.1f s' % used)
    assert grown > before


def test_network_bytes_count_the_traffic_a_container_serves(aio, servers):
    demo = Metrics(aio, 'aio-demo')
    b_id = servers['b']['id']
    rx_sel = 'sum(ceilometer_network_incoming_bytes{resource=~".*-%s-.*"})' \
        % b_id
    tx_sel = rx_sel.replace('incoming', 'outgoing')
    rx0, tx0 = demo.shown(rx_sel), demo.shown(tx_sel)
    address = _address(servers['b'], NET)
    requests = 20
    # HTTP/1.0 with nc (the image has no wget), one connection each,
    # counted when the answer's status line came back.
    code, out = _exec(aio, servers['a']['id'],
                      "n=0; for i in $(seq %d); do printf 'GET / HTTP/1.0"
                      "\\r\\n\\r\\n' | nc -w 2 %s %d | grep -q '^HTTP/' "
                      "&& n=$((n+1)); done; echo $n"
                      % (requests, address, WEB_PORT))
    assert code == 0 and out.strip() == str(requests).encode(), out
    # Each request is more than 40 bytes in and each answer more than 40
    # bytes out, headers alone; the instance's view: in = what it got.
    demo.shown(rx_sel, lambda v: v - rx0 >= requests * 40,
               what='incoming bytes of metrics-b to grow')
    demo.shown(tx_sel, lambda v: v - tx0 >= requests * 40,
               what='outgoing bytes of metrics-b to grow')


def test_each_tenant_sees_its_own_containers_only(aio, servers):
    demo = Metrics(aio, 'aio-demo')
    alt = Metrics(aio, 'aio-alt-demo')
    admin = Metrics(aio, 'aio-admin')
    ids = {k: s['id'] for k, s in servers.items()}
    for who, metrics in (('a', demo), ('alt', alt)):
        metrics.shown('ceilometer_cpu{resource="%s"}' % ids[who])

    def resources(metrics, promql='ceilometer_cpu'):
        return {r['metric']['resource'] for r in metrics.query(promql)}

    assert {ids['a'], ids['b']} <= resources(demo)
    assert ids['alt'] not in resources(demo)
    assert resources(alt) == {ids['alt']}
    # Asking for the other project by label changes nothing: Aetos puts
    # the caller's project into the query itself.
    other = 'ceilometer_cpu{project="%s"}' % servers['a']['project_id']
    assert resources(alt, other) == set()
    assert {ids['a'], ids['b'], ids['alt']} <= resources(admin)
    # The same through the CLI a tenant uses (other tests of the shared
    # cloud may have alt_demo servers too: none of demo's may show).
    shown = {row['resource'] for row in aio.openstack_json(
        'metric', 'show', 'ceilometer_cpu', cloud='aio-alt-demo')}
    assert ids['alt'] in shown
    assert not shown & {ids['a'], ids['b']}


def test_a_deleted_server_leaves_no_series(aio, servers):
    demo = Metrics(aio, 'aio-demo')
    server_id = _boot(aio, 'aio-demo', 'metrics-gone', NET)
    _active(aio, server_id)
    sel = 'ceilometer_cpu{resource="%s"}' % server_id
    demo.shown(sel)
    aio.openstack('server', 'delete', '--wait', server_id)
    wait(lambda: demo.query(sel) == [], timeout=SHOWS_WITHIN,
         what='the series of a deleted server to go')
    # The others go on being measured.
    demo.shown('ceilometer_cpu{resource="%s"}' % servers['a']['id'])


def _open_files(pid):
    """Paths of the files open in ``pid`` and its children."""
    family = psutil.Process(pid)
    found = []
    for proc in [family] + family.children(recursive=True):
        try:
            found += [f.path for f in proc.open_files()]
        except psutil.NoSuchProcess:
            continue
    return found


def test_the_polling_agents_keep_no_descriptor_per_poll(aio, servers):
    # Each poll runs in new threads, and each sample's id is a time-based
    # UUID: without the host's uuidd, libuuid leaves every such thread's
    # descriptor of its clock file open, one more per poll.
    demo = Metrics(aio, 'aio-demo')
    # The agents have polled the servers since they were made.
    demo.shown('ceilometer_cpu{resource="%s"}' % servers['a']['id'])
    agents = [svc.name for svc in services.all_services(aio.lay)
              if svc.name.startswith('ceilometer-polling-')]
    assert agents
    for name in agents:
        pid = procs.Process(aio.lay, name).pid()
        assert pid, '%s is not running' % name
        held = [p for p in _open_files(pid) if 'libuuid' in p]
        assert held == [], '%s holds %s' % (name, held)
