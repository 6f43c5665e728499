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

"""Bench: the dashboard's instances page with 50 Docker instances, against
the same page with 1.

Subject: GET /project/instances/ of the all-in-one's Horizon, logged in as
the demo tenant, which has 50 ACTIVE servers (Glance image dos-idle,
flavor docker.tiny, a port each on the tenant's own network). Baseline,
same run, same dashboard: the same page of the alt_demo tenant, which has
1 such server. Both people set "Items Per Page" to 100 in their User
Settings (the default, 20, would render 20 of the 50 rows). The time is
from the request to the last byte of the page, over loopback with a
logged-in session (Horizon's login form with its CSRF token, as a browser
sends it): the server-side render, with the Nova, Neutron and Glance calls
Horizon makes for it; no static files, no JavaScript. Every answer must
be a 200 with exactly 50 (or 1) instance rows, else the bench stops.

Samples alternate (1, 50) after two warm-up GETs of each page. Starts the
all-in-one if it is not running (about 3 min) and stops it again
afterwards in that case. The 51 servers are booted through the API as
each tenant (the 50 in one multi-create request); for them the bench
raises the demo tenant's compute and port quotas, and puts them back at the
end. The servers and the networks are deleted at the end, also when it
fails. Target (reported, not asserted): p50 of 50 instances <= 3 x p50 of
1.

Where the time goes: Horizon makes the same API calls for the page
whatever the number of instances (26 on the all-in-one: counted in the
services' access logs for 1 and for 6 servers; none per instance). Of
those, 2 are new Keystone tokens, because Horizon memoizes its novaclient
per request, not per session, and its client authenticates again on each
page; each new token is then validated by the services. What grows with
the rows is Horizon's own table rendering and the size of the answers.
"""

import os
import sys
import time

from tests.bench import bench_aio_boot
from tests.bench import bench_density
from tests.bench import common
from tests.rig import horizon_session
from tests.rig import waiting

ROUNDS = int(os.environ.get('BENCH_DASHBOARD_ROUNDS', '15'))
MANY = int(os.environ.get('BENCH_DASHBOARD_INSTANCES', '50'))
PAGE = '/project/instances/'
PAGE_SIZE = 100
NAME = 'bench-dash-'
ROW = 'id="instances__row__'
POLL_S = bench_density.POLL_S
TIMEOUT_S = bench_density.TIMEOUT_S
#: (clouds.yaml entry, login) of the two tenants: (many, one).
TENANTS = (('aio-demo', 'demo'), ('aio-alt-demo', 'alt_demo'))
QUOTAS_COMPUTE = ('instances', 'cores', 'ram')


class Tenant:
    """One tenant's room in the cloud: a network, servers, a dashboard
    session."""

    def __init__(self, lay, cloud, login, admin, cidr):
        import openstack
        self.conn = openstack.connect(cloud=cloud)
        self.admin = admin
        self.login = login
        self.project = self.conn.current_project_id
        self.lay, self.cidr = lay, cidr
        self.network = None
        self.quotas = None
        self.session = None

    # -- room -----------------------------------------------------------
    def make_room(self, count):
        """Quotas for ``count`` more servers and their ports."""
        compute = self.admin.compute
        path = '/os-quota-sets/%s' % self.project
        resp = compute.get(path)
        resp.raise_for_status()
        quotas = resp.json()['quota_set']
        ports = self.admin.network.get_quota(self.project).ports
        self.quotas = ({k: quotas[k] for k in QUOTAS_COMPUTE}, ports)
        resp = compute.put(path, json={'quota_set': {
            'instances': -1, 'cores': -1, 'ram': -1}})
        resp.raise_for_status()
        self.admin.network.update_quota(self.project, ports=-1)

    def give_room_back(self):
        if self.quotas is None:
            return
        compute, ports = self.quotas
        resp = self.admin.compute.put(
            '/os-quota-sets/%s' % self.project,
            json={'quota_set': compute})
        resp.raise_for_status()
        self.admin.network.update_quota(self.project, ports=ports)

    # -- servers --------------------------------------------------------
    def boot(self, count, image_id, flavor_id):
        """Servers in one request, each with a port on the tenant's
        network, so that the tenant has ``count`` (a person's own servers
        in a running cloud count)."""
        resp = self.conn.compute.get('/servers')
        resp.raise_for_status()
        count -= len(resp.json()['servers'])
        if count < 1:
            raise RuntimeError('%s has more servers than the bench needs'
                               % self.login)
        self.network = bench_density.network(self.conn, NAME, self.cidr)
        body = {'server': {'name': NAME + self.login, 'imageRef': image_id,
                           'flavorRef': flavor_id,
                           'networks': [{'uuid': self.network.id}],
                           'min_count': count, 'max_count': count}}
        resp = self.conn.compute.post('/servers', json=body)
        resp.raise_for_status()

    def statuses(self):
        resp = self.conn.compute.get('/servers/detail?name=^%s' % NAME)
        resp.raise_for_status()
        return {s['id']: (s['status'], s.get('fault'))
                for s in resp.json()['servers']}

    def wait_active(self, count):
        waiting.wait(lambda: bench_density.count_active(
            self.statuses()) >= count, TIMEOUT_S,
            '%d servers of %s ACTIVE' % (count, self.login), POLL_S)

    def delete_all(self):
        bench_density.delete_servers(self.conn, self.statuses)
        if self.network is not None:
            self.conn.network.delete_network(self.network.id,
                                             ignore_missing=True)

    # -- the dashboard --------------------------------------------------
    def log_in(self):
        from tools.aio import horizon
        from tools.aio import layout
        self.session = horizon_session.Session(
            horizon.url(self.lay), self.login, layout.DEMO_PASSWORD)
        self.session.post_form('/settings/', pagesize=str(PAGE_SIZE))

    def page(self, rows):
        """Seconds to GET the instances page, which must list ``rows``
        instances."""
        start = time.perf_counter()
        resp = self.session.get(PAGE)
        body = resp.text
        elapsed = time.perf_counter() - start
        if resp.status_code != 200 or body.count(ROW) != rows:
            raise RuntimeError('%s\'s instances page: HTTP %d with %d rows, '
                               'not %d' % (self.login, resp.status_code,
                                           body.count(ROW), rows))
        return elapsed

    def close(self):
        try:
            if self.session is not None:
                self.session.close()
            self.delete_all()
        finally:
            self.give_room_back()


def main():
    with bench_aio_boot.running_cloud() as lay:
        import openstack
        os.environ.update(OS_CLIENT_CONFIG_FILE=lay.clouds_yaml)
        admin = openstack.connect(cloud='aio-admin')
        image = next(iter(admin.image.images(name='dos-idle'))).id
        flavor = admin.compute.find_flavor('docker.tiny').id
        many = Tenant(lay, *TENANTS[0], admin=admin, cidr='10.98.0.0/24')
        one = Tenant(lay, *TENANTS[1], admin=admin, cidr='10.98.1.0/24')
        try:
            many.make_room(MANY)
            started = time.monotonic()
            many.boot(MANY, image, flavor)
            one.boot(1, image, flavor)
            many.wait_active(MANY)
            one.wait_active(1)
            booted_s = time.monotonic() - started
            for tenant in (one, many):
                tenant.log_in()
            for tenant, rows in ((one, 1), (many, MANY)) * 2:
                tenant.page(rows)  # warm-up
            base, subject = [], []
            for _ in range(ROUNDS):
                base.append(one.page(1))
                subject.append(many.page(MANY))
        finally:
            for tenant in (many, one):
                tenant.close()
    b, s = common.summary(base), common.summary(subject)
    figures = {
        'rounds': ROUNDS, 'instances': MANY, 'page_size': PAGE_SIZE,
        'boot_all_active_s': booted_s,
        'page_1_instance_s': b, 'page_many_instances_s': s,
        'ratio_p50': s['p50'] / b['p50'],
        'ratio_p95': s['p95'] / b['p95'],
        'targets': {'ratio_p50': 3.0}}
    print('dashboard instances page: 1 instance p50 %.3f s p95 %.3f s | '
          '%d instances p50 %.3f s p95 %.3f s (x%.2f / x%.2f; target <= 3)'
          % (b['p50'], b['p95'], MANY, s['p50'], s['p95'],
             figures['ratio_p50'], figures['ratio_p95']), flush=True)
    common.write(figures)
    return 0


if __name__ == '__main__':
    sys.exit(main())
