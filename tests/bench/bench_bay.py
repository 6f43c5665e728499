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

"""Bench: create -> HEALTHY swarm-mode bay of 3 nodes, against the direct way.

Subject: ``BayService.create_cluster`` of 1 manager + 2 workers (own CA and
per-node certificates, TLS on every node's API, database rows, health from
the swarm's node list) until it returns CREATE_COMPLETE / HEALTHY.

Baseline, same run, same node image and container flags: three containers
started directly, ``docker swarm init`` in the first (through docker exec),
``docker swarm join`` in the others, until ``docker node ls`` shows three
Ready nodes. No TLS, no certificates, no database.

Runs alternate (baseline, subject, ...) so both see the same machine load.
Targets (reported, not asserted): ratio <= 1.3 and subject < 15 s.

Idle cost: after the warm-up bay is HEALTHY it rests IDLE_S (20 s), then
the memory of every process in each node container (read on the host) is
summed per node: RSS, PSS (pages shared between nodes, such as the
engine's binaries, shared out) and USS (the node's own pages). Target
(reported): RSS <= 80 MiB per node. RSS is the wrong measure of what one
more node costs: a node runs dockerd and containerd, and the pages of
their binaries (about 80 MiB between them, measured here) count in full
in every node's RSS although every node maps the same page cache. PSS
shares those pages out and sums to the host's real use, so the page
holds PSS to the same 80 MiB next to it.
"""

import os
import statistics
import tempfile
import time

import psutil

from magnum_bay import conf as bay_conf
from magnum_bay import fields
from magnum_bay import service as bay_service
from magnum_bay.db import api as db_api
from magnum_bay.drivers.common import parallel as common_parallel
from magnum_bay.engine import nodes as engine_nodes
from tests.bench import common
from tests.rig import docker_engine

ROUNDS = int(os.environ.get('BENCH_BAY_ROUNDS', '3'))
# A node's memory is read after this long at rest, HEALTHY.
IDLE_S = 20


def _node_image(client):
    node_image = docker_engine.tools_module('node_image')
    node_image.build(client)
    return node_image.REF


def _exec(api, cid, cmd):
    eid = api.exec_create(cid, cmd)['Id']
    out = api.exec_start(eid).decode(errors='replace')
    return api.exec_inspect(eid)['ExitCode'], out


def direct_swarm(client, image, tag):
    """The baseline: docker run x3, swarm init, joins, wait for Ready."""
    api = client.api
    start = time.monotonic()
    net = api.create_network('bench-direct-%s' % tag, driver='bridge')
    names = ['bench-%s-%d' % (tag, i) for i in range(3)]
    ids = []
    try:
        def run(name):
            hc = api.create_host_config(
                binds={'/sys/fs/cgroup': {'bind': '/sys/fs/cgroup',
                                          'mode': 'rw'}},
                **engine_nodes.NODE_HOST_CONFIG)
            hc.update(engine_nodes.NODE_HOST_CONFIG_RAW)
            c = api.create_container(
                image, name=name, hostname=name, volumes=['/var/lib/docker'],
                command=['dockerd', '--cgroup-parent', '/%s' % name],
                host_config=hc, networking_config=api.create_networking_config(
                    {net['Id']: api.create_endpoint_config()}))
            ids.append(c['Id'])
            api.start(c['Id'])
            for _ in range(400):
                if _exec(api, c['Id'], ['docker', 'version'])[0] == 0:
                    return c['Id']
                time.sleep(0.05)
            raise RuntimeError('dockerd in %s did not start' % name)
        # Same parallelism as the bay service: all nodes start at once.
        ids_in_order = common_parallel(run, names)
        first = ids_in_order[0]
        addr = [next(iter(api.inspect_container(c)['NetworkSettings']
                          ['Networks'].values()))['IPAddress']
                for c in ids_in_order]
        code, out = _exec(api, first, ['docker', 'swarm', 'init',
                                       '--advertise-addr', addr[0]])
        assert code == 0, out
        _c, token = _exec(api, first, ['docker', 'swarm', 'join-token',
                                       '-q', 'worker'])

        def join(cid):
            code, out = _exec(api, cid, ['docker', 'swarm', 'join', '--token',
                                         token.strip(), '%s:2377' % addr[0]])
            assert code == 0, out
        common_parallel(join, ids_in_order[1:])
        for _ in range(400):
            _c, out = _exec(api, first, ['docker', 'node', 'ls', '--format',
                                          '{{.Status}}'])
            if out.split().count('Ready') == 3:
                break
            time.sleep(0.05)
        else:
            raise RuntimeError('direct swarm never had 3 Ready nodes')
        return time.monotonic() - start
    finally:
        for cid in ids:
            api.remove_container(cid, force=True, v=True)
        api.remove_network(net['Id'])
        for name in names:
            engine_nodes.remove_cgroups(name)


def node_memory(client, bay_uuid):
    """{node container name: {'rss', 'pss', 'uss'}} in MiB, summed over
    every process the node runs (its dockerd, containerd, ...), read on
    the host. RSS counts the pages of the engine's binaries that every
    node shares; PSS shares them out, USS leaves them out."""
    found = {}
    for c in client.containers.list(filters={'label': '%s=%s' % (
            engine_nodes.LABEL_BAY, bay_uuid)}):
        top = client.api.top(c.id, ps_args='-eo pid')
        pids = [int(row[0]) for row in top.get('Processes') or []]
        total = dict(rss=0, pss=0, uss=0)
        for pid in pids:
            try:
                info = psutil.Process(pid).memory_full_info()
            except psutil.NoSuchProcess:
                continue
            for key in total:
                total[key] += getattr(info, key)
        found[c.name] = {k: round(v / 2 ** 20, 1) for k, v in total.items()}
    return found


def bay_swarm(svc, tag, client=None):
    """Seconds to HEALTHY; with ``client``, also the nodes' RSS after
    IDLE_S at rest."""
    start = time.monotonic()
    cluster = svc.create_cluster('bench-%s' % tag, 'bench', master_count=1,
                                 node_count=2)
    elapsed = time.monotonic() - start
    ok = (cluster['status'] == fields.CREATE_COMPLETE and
          cluster['health_status'] == fields.HEALTHY)
    rss = None
    try:
        if ok and client is not None:
            time.sleep(IDLE_S)
            rss = node_memory(client, cluster['uuid'])
    finally:
        svc.delete_cluster(cluster['uuid'])
    if not ok:
        raise RuntimeError('bay did not become HEALTHY: %s %s' % (
            cluster['status'], cluster['status_reason']))
    return elapsed if client is None else (elapsed, rss)


def main():
    client = docker_engine.client()
    image = _node_image(client)
    state = tempfile.mkdtemp(prefix='bench-bay-', dir=os.environ.get(
        'DOS_STATE') or None)
    conf = bay_conf.CONF
    conf.set_override('state_dir', state, 'bay')
    svc = bay_service.BayService(
        conf, db=db_api.Connection('sqlite:///%s/bays.sqlite' % state),
        host=engine_nodes.NodeHost(docker_engine.docker_host()))
    svc.create_template(name='bench', coe='swarm-mode', image_id=image)
    direct, bay = [], []
    try:
        # One warm-up of each, not counted (page cache, first exec).
        direct_swarm(client, image, 'warm')
        _secs, rss = bay_swarm(svc, 'warm', client)
        for i in range(ROUNDS):
            direct.append(direct_swarm(client, image, str(i)))
            bay.append(bay_swarm(svc, str(i)))
    finally:
        svc.close()
        svc.db.close()
        client.close()
    d, b = statistics.median(direct), statistics.median(bay)
    figures = {
        'bay_create_to_healthy_s': common.summary(bay),
        'direct_swarm_init_join_s': common.summary(direct),
        'ratio_bay_to_direct_p50': b / d,
        'target_ratio_max': 1.3, 'target_seconds_max': 15.0,
        'meets_ratio_target': b / d <= 1.3, 'meets_seconds_target': b < 15,
        'nodes': 3, 'rounds': ROUNDS,
        'idle_node_mib': rss, 'idle_s': IDLE_S,
        'target_node_rss_mib_max': 80.0,
    }
    for key in ('rss', 'pss', 'uss'):
        figures['idle_node_%s_max_mib' % key] = max(
            m[key] for m in rss.values())
    print('3-node swarm: bay %.2f s vs direct %.2f s (p50) -> %.2fx'
          % (b, d, b / d))
    print('a node at rest for %d s, the largest: RSS %.1f MiB (target <= '
          '80), PSS %.1f MiB, USS %.1f MiB'
          % (IDLE_S, figures['idle_node_rss_max_mib'],
             figures['idle_node_pss_max_mib'],
             figures['idle_node_uss_max_mib']))
    common.write(figures)


if __name__ == '__main__':
    main()
