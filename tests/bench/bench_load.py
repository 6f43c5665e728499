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

"""Bench: many boots at once through the API of the all-in-one.

Subject: ``BENCH_LOAD_N`` (50) servers POSTed at once (from 10 threads),
each with a Neutron port on a network the bench creates, flavor
docker.tiny, Glance image dos-idle, not pinned: Nova's scheduler spreads
them over the two computes. Each is timed from its POST to nova-compute's
"Took ... seconds to build instance" line (either compute's log, as
bench_aio_boot reads it). Baseline, same run: ``BENCH_LOAD_SINGLE`` (5)
boots of the same kind one at a time.

Reported: p50, p95 and the slowest of the burst, p95 as a ratio to the
single boot's p50, and how many servers each compute got. A server in
ERROR, or a burst not ACTIVE within 15 minutes (a queue that does not
drain), fails the bench. No target: the ratio says how the cloud queues
on this machine's two cores. Everything the bench made is removed at the
end; the admin project's quotas are lifted for the run and put back.
"""

import concurrent.futures
import os
import sys
import time

from tests.bench import bench_aio_boot
from tests.bench import bench_density
from tests.bench import common

N = int(os.environ.get('BENCH_LOAD_N', '50'))
SINGLE = int(os.environ.get('BENCH_LOAD_SINGLE', '5'))
POSTERS = 10
TIMEOUT_S = 900
POLL_S = 0.05
API_POLL_S = 2.0


def burst(cloud, lines, count, first):
    """POST ``count`` servers at once; {id: seconds to ACTIVE}."""
    posted = {}

    def post(n):
        at = time.time()
        sid = cloud.post(n, ported=True, pinned=False)
        return sid, at

    with concurrent.futures.ThreadPoolExecutor(POSTERS) as pool:
        for sid, at in pool.map(post, range(first, first + count)):
            posted[sid] = at
    deadline = time.monotonic() + TIMEOUT_S
    next_get = time.monotonic() + API_POLL_S
    while True:
        lines.read()
        if all(sid in lines.built for sid in posted):
            break
        now = time.monotonic()
        if now >= next_get:  # a failed boot writes no build line
            next_get = now + API_POLL_S
            for sid, (status, fault) in cloud.statuses().items():
                if status == 'ERROR':
                    raise RuntimeError('server %s went to ERROR: %s'
                                       % (sid, fault))
        if now > deadline:
            raise RuntimeError('%d of %d servers ACTIVE after %d s' % (
                sum(sid in lines.built for sid in posted), count,
                TIMEOUT_S))
        time.sleep(POLL_S)
    return {sid: lines.built.pop(sid) - at for sid, at in posted.items()}


def hosts_of(cloud):
    servers = cloud.boot._get('/servers/detail?name=^%s'
                              % bench_density.NAME)['servers']
    found = {}
    for s in servers:
        host = s.get('OS-EXT-SRV-ATTR:host') or '?'
        found[host] = found.get(host, 0) + 1
    return found


def main():
    with bench_aio_boot.running_cloud() as lay:
        cloud = bench_density.Cloud(lay)
        lines = bench_aio_boot.BuildLog([
            bench_aio_boot.compute_log(lay, e.host) for e in lay.engines])
        try:
            cloud.make_room(N)
            cloud.make_network()
            burst(cloud, lines, 1, 0)  # warm-up: images on both hosts
            cloud.delete_all()
            singles = []
            for n in range(SINGLE):
                singles.extend(burst(cloud, lines, 1, 1 + n).values())
                cloud.delete_all()
            many = burst(cloud, lines, N, 100)
            spread = hosts_of(cloud)
        finally:
            cloud.close()
    one, all_ = common.summary(singles), common.summary(list(many.values()))
    figures = {'servers': N, 'single_rounds': SINGLE,
               'single_boot_s': one, 'burst_boot_s': all_,
               'burst_slowest_s': max(many.values()),
               'burst_p95_over_single_p50': all_['p95'] / one['p50'],
               'servers_per_host': spread}
    print('%d networked boots at once: p50 %.1f s, p95 %.1f s, slowest '
          '%.1f s; one at a time p50 %.2f s; p95 / single p50 x%.1f; '
          'per host %s' % (N, all_['p50'], all_['p95'],
                           figures['burst_slowest_s'], one['p50'],
                           figures['burst_p95_over_single_p50'], spread),
          flush=True)
    common.write(figures)
    return 0


if __name__ == '__main__':
    sys.exit(main())
