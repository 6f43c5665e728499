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

"""TenantShareFilter and the reclaim service against real Nova.

A project tree borrows idle capacity, the owner's boot then fails for lack
of room, the reclaim service (acting through Nova's API) shelves the
borrower's lowest-priority borrowed instances after the grace period, and
the owner boots its owned share.
"""

import dataclasses
import time

from nova.tests.functional.api import client
import pytest

from scheduler_filters import exception
from scheduler_filters.core import plan as plan_mod
from scheduler_filters.reclaim import cloud as cloud_mod
from scheduler_filters.reclaim import engine
from tests.functional.scheduler_filters import base

PLAN = """
version: 1
resources: [VCPU, instances]
capacity: {instances: 100}
unlisted_projects: deny
projects:
  - name: research
    owns: {VCPU: 8, instances: 50}
    priority: 5
    children:
      - name: research-a
        owns: {VCPU: 4, instances: 25}
      - name: research-b
        owns: {VCPU: 4, instances: 25}
  - name: ops
    owns: {VCPU: 8, instances: 50}
    borrow: false
"""

FLEET = {'host-%d' % i: dict(arch='x86_64', vcpus=4, memory_mb=8192)
         for i in range(1, 5)}


class NovaAPITransport:
    """The reclaim service's transport on Nova's functional API client:
    the same REST calls the service makes through openstacksdk."""

    def __init__(self, api):
        self.api = api

    def _with_version(self, fn, *args):
        saved = self.api.microversion
        self.api.microversion = cloud_mod.MICROVERSION
        try:
            return fn(*args)
        except client.OpenStackApiException as e:
            # As KeystoneTransport reports an HTTP error.
            raise exception.ReclaimError(what=args[0], reason=str(e))
        finally:
            self.api.microversion = saved

    def get(self, path):
        return self._with_version(self.api.api_get, path).body

    def post(self, path, body):
        return self._with_version(self.api.api_post, path, body).body

    def delete(self, path):
        return self._with_version(self.api.api_delete, path)


@pytest.mark.slow
class TestTenantShare(base.SchedulerCloud):
    fleet = FLEET
    plan = PLAN
    extra_flags = {'DEFAULT': {'shelved_offload_time': 0}}

    def setUp(self):
        super().setUp()
        self.c2 = self.flavor('c2', 2, 1024)
        self.img = self.image('x86', docker_platforms='linux/amd64')
        self.apis = {p: self.project_api(p)
                     for p in ('research-a', 'research-b', 'ops', 'guest')}
        self.cloud = cloud_mod.ComputeAPICloud(
            NovaAPITransport(self.admin_api))

    def boot(self, project, expected='ACTIVE', name=None):
        return super().boot(self.img, self.c2, api=self.apis[project],
                            expected=expected, name=name)

    def reclaimer(self, **kw):
        kw.setdefault('grace_period', 1.0)
        return engine.Reclaimer(self.cloud, plan_mod.loads(PLAN), **kw)

    def test_refusals_name_the_reason(self):
        # ops may not borrow: beyond its 8 VCPU it is refused although the
        # cloud has room.
        for _ in range(4):
            self.boot('ops')
        server = self.boot('ops', expected='ERROR')
        self.assertIn('TenantShareFilter', self.refusal(server))
        self.assertIn('may not borrow', self.refusal(server))
        # An unlisted project is refused by this plan.
        server = self.boot('guest', expected='ERROR')
        self.assertIn('not in the share plan', self.refusal(server))

    def test_a_failed_boot_is_timed_by_its_instance_action(self):
        for _ in range(4):
            self.boot('ops')
        failed = self.boot('ops', expected='ERROR')
        server, = [s for s in self.cloud.servers() if s.id == failed['id']]
        self.assertEqual(0, server.updated.microsecond)  # whole seconds
        when = self.cloud.failed_at(server)
        self.assertIsNotNone(when)
        # The scheduling failure's event, recorded just before the last
        # save of the server, to the microsecond.
        self.assertLess(abs((when - server.updated).total_seconds()), 1.0)
        self.assertNotEqual(server.updated, when)
        # A server that is gone has no time, and no error either.
        gone = dataclasses.replace(
            server, id='00000000-0000-0000-0000-000000000000')
        self.assertIsNone(self.cloud.failed_at(gone))
        # A server whose boot did not fail has none.
        ok, = [s for s in self.cloud.servers() if s.status == 'ACTIVE'][:1]
        self.assertIsNone(self.cloud.failed_at(ok))

    def test_a_project_at_its_share_can_still_be_migrated(self):
        # ops may not borrow and sits exactly at its 8 VCPU.
        servers = [self.boot('ops') for _ in range(4)]
        self.boot('ops', expected='ERROR')
        # Moving an instance asks for no new capacity: the share filter
        # lets the operator's cold migration through.
        server = servers[0]
        source = self.host_of(server)
        self.admin_api.post_server_action(server['id'], {'migrate': None})
        self._wait_for_state_change(server, 'VERIFY_RESIZE')
        self.admin_api.post_server_action(server['id'],
                                          {'confirmResize': None})
        self._wait_for_state_change(server, 'ACTIVE')
        self.assertNotEqual(source, self.host_of(server))

    def test_service_transport_on_keystoneauth(self):
        """The transport the console script uses (a keystoneauth Adapter,
        as openstacksdk's ``conn.compute``) against Nova's API."""
        from keystoneauth1 import adapter as ks_adapter
        from keystoneauth1 import session as ks_session
        self._fill_with_research_a()
        self.boot('ops', expected='ERROR')
        admin = self.admin_api
        compute = ks_adapter.Adapter(
            ks_session.Session(), endpoint_override=admin.base_url,
            additional_headers={'X-Auth-User': admin.auth_user,
                                'X-User-Id': admin.auth_user,
                                'X-Auth-Project-Id': admin.project_id,
                                'X-Roles': ','.join(admin.roles)})
        cloud = cloud_mod.ComputeAPICloud(cloud_mod.KeystoneTransport(compute))
        self.assertEqual(16, sum(h['used']['VCPU'] for h in cloud.hosts()))
        self.assertEqual(9, len(cloud.servers()))
        r = engine.Reclaimer(cloud, plan_mod.loads(PLAN), grace_period=0.0,
                             dry_run=True)
        events = [e['event'] for e in r.cycle()]
        self.assertIn('would-reclaim', events)
        # Errors come back with the path and status.
        with self.assertRaises(Exception) as e:
            cloud.act('00000000-0000-0000-0000-000000000000', 'shelve')
        self.assertIn('404', str(e.exception))

    def _fill_with_research_a(self):
        """research-a takes its 4, borrows research-b's 4 and ops' 8."""
        servers = [self.boot('research-a', name='ra-%d' % i)
                   for i in range(8)]
        self.assertEqual(16, sum(
            h['vcpus_used'] for h in self.cloud.t.get(
                '/os-hypervisors/detail')['hypervisors']))
        return servers

    def test_borrow_reclaim_and_owner_gets_share_back(self):
        servers = self._fill_with_research_a()
        # The cloud is full: research-a cannot borrow more (nothing idle).
        self.boot('research-a', expected='ERROR')
        # Give one older borrowed instance the lowest priority: it goes
        # first although it is not the newest.
        low = servers[5]
        self.cloud.set_metadata(low['id'], {'docker_share:priority': '-1'})

        # The owner asks for 2 x 2 VCPU within its share: no room left.
        failed = [self.boot('ops', expected='ERROR') for _ in range(2)]
        for f in failed:
            self.assertIn('No valid host', f['fault']['message'])

        # The grace period runs on the reclaimer's clock; the test moves
        # that clock instead of sleeping (bench_scheduler times it for real).
        skew = [0.0]
        r = self.reclaimer(grace_period=60.0,
                           clock=lambda: time.monotonic() + skew[0])
        first = r.cycle()
        events = [e['event'] for e in first]
        self.assertIn('demand-seen', events)
        self.assertNotIn('reclaim', events)  # grace period not over
        # Instances beyond research-a's entitlement (4 VCPU = 2 servers)
        # are marked as borrowed: the 6 newest.
        marked = {e['server'] for e in first if e['event'] ==
                  'mark-borrowed'}
        self.assertEqual({s['id'] for s in servers[2:]}, marked)
        meta = self.admin_api.get_server(servers[7]['id'])['metadata']
        self.assertEqual('true', meta.get('docker_share:borrowed'))
        self.assertNotIn('docker_share:borrowed', self.admin_api.get_server(
            servers[0]['id'])['metadata'])
        # Still within the grace period: nothing happens.
        skew[0] = 30.0
        self.assertNotIn('reclaim', [e['event'] for e in r.cycle()])
        skew[0] = 61.0
        reclaimed = [e for e in r.cycle() if e['event'] == 'reclaim']
        self.assertEqual(2, len(reclaimed), reclaimed)
        # Lowest priority first, then the newest.
        self.assertEqual([low['id'], servers[7]['id']],
                         [e['server'] for e in reclaimed])
        for e in reclaimed:
            self.assertEqual('research-a', e['borrower'])
            self._wait_for_state_change(
                self.admin_api.get_server(e['server']), 'SHELVED_OFFLOADED')

        # The owner boots its share now.
        for _ in range(2):
            self.boot('ops')
        # And the demand is served: no further reclaim.
        later = r.cycle()
        self.assertNotIn('reclaim', [e['event'] for e in later])

    def test_dry_run_changes_nothing(self):
        servers = self._fill_with_research_a()
        self.boot('ops', expected='ERROR')
        r = self.reclaimer(grace_period=0.0, dry_run=True)
        records = r.cycle()
        events = [e['event'] for e in records]
        self.assertIn('would-reclaim', events)
        self.assertIn('would-mark-borrowed', events)
        self.assertNotIn('reclaim', events)
        for s in servers:
            got = self.admin_api.get_server(s['id'])
            self.assertEqual('ACTIVE', got['status'])
            self.assertNotIn('docker_share:borrowed', got['metadata'])


BROKEN = PLAN.replace('owns: {VCPU: 4, instances: 25}\n      - name: research-b',
                      'owns: {VCPU: 40, instances: 25}\n      - name: research-b')


@pytest.mark.slow
class TestDockerHostFilter(base.SchedulerCloud):
    """ArchitectureFilter and TenantShareFilter enabled as one filter."""

    fleet = dict(FLEET, **{'arm-1': dict(arch='aarch64', vcpus=4,
                                         memory_mb=8192)})
    # The arm host's 4 VCPU go to research, so ops' entitlement stays 8.
    plan = PLAN.replace('owns: {VCPU: 8, instances: 50}\n    priority',
                        'owns: {VCPU: 12, instances: 50}\n    priority'
                        ).replace('VCPU: 4, instances: 25', 'VCPU: 6, '
                                  'instances: 25')
    filters = [f for f in base.FILTERS
               if f not in ('ArchitectureFilter', 'TenantShareFilter')]
    filters.append('DockerHostFilter')

    def test_architecture_and_share_in_one_filter(self):
        c2 = self.flavor('c2', 2, 1024)
        x86 = self.image('x86', docker_platforms='linux/amd64')
        arm = self.image('arm', hw_architecture='aarch64')
        ops = self.project_api('ops')
        hosts = [self.host_of(self.boot(x86, c2, api=ops)) for _ in range(4)]
        self.assertNotIn('arm-1', hosts)
        # ops may not borrow: at its 8 VCPU it is refused, with the reason.
        server = self.boot(x86, c2, api=ops, expected='ERROR')
        self.assertIn('TenantShareFilter', self.refusal(server))
        self.assertIn('may not borrow', self.refusal(server))
        research = self.project_api('research-a')
        self.assertEqual('arm-1',
                         self.host_of(self.boot(arm, c2, api=research)))
        server = self.boot(self.image('i686', hw_architecture='i686'), c2,
                           api=research, expected='ERROR')
        self.assertIn('No valid host', server['fault']['message'])


@pytest.mark.slow
class TestBadPlans(base.SchedulerCloud):
    """A bad plan never takes the scheduler down."""

    fleet = {'host-1': dict(arch='x86_64', vcpus=4)}
    plan = BROKEN

    def test_refuse_until_valid_then_keep_last_good(self):
        img = self.image('x86', hw_architecture='x86_64')
        c1 = self.flavor('c1', 1, 256)
        ops = self.project_api('ops')
        # No valid plan was ever loaded: refused with the node at fault.
        server = self.boot(img, c1, api=ops, expected='ERROR')
        message = self.refusal(server)
        self.assertIn('TenantShareFilter', message)
        self.assertIn('research.owns.VCPU', message)
        # Fixed: the scheduler, still up, places.
        self.write_plan(PLAN)
        self.boot(img, c1, api=ops)
        # Broken again: the last good plan stays in force (ops is listed,
        # the unlisted guest is still refused by it).
        self.write_plan('version: 1\nprojects: [oops')
        self.boot(img, c1, api=ops)
        server = self.boot(img, c1, api=self.project_api('guest'),
                           expected='ERROR')
        self.assertIn('not in the share plan', self.refusal(server))


def _window_plan(start, end):
    return """
version: 1
resources: [VCPU]
unlisted_projects: deny
projects:
  - name: ops
    owns: {VCPU: 0}
    borrow: false
  - name: research
    owns: {VCPU: 4}
    lend: false
schedule:
  - name: ops-hours
    from: "%s"
    to: "%s"
    projects:
      - name: ops
        owns: {VCPU: 4}
        borrow: false
      - name: research
        owns: {VCPU: 0}
""" % (start.strftime('%H:%M'), end.strftime('%H:%M'))


@pytest.mark.slow
class TestTimeOfDayPlans(base.SchedulerCloud):
    fleet = {'host-1': dict(arch='x86_64', vcpus=4)}
    plan = 'version: 1\nprojects: []\n'

    def test_the_plan_in_force_follows_the_clock(self):
        import datetime
        now = datetime.datetime.now(datetime.timezone.utc)
        hour = datetime.timedelta(hours=1)
        img = self.image('x86', hw_architecture='x86_64')
        c1 = self.flavor('c1', 1, 256)
        ops = self.project_api('ops')
        # A window around now gives ops 4 VCPU: it places.
        self.write_plan(_window_plan(now - hour, now + hour))
        self.boot(img, c1, api=ops)
        # The same window later today: outside it ops owns nothing and
        # may not borrow.
        self.write_plan(_window_plan(now + 2 * hour, now + 3 * hour))
        server = self.boot(img, c1, api=ops, expected='ERROR')
        self.assertIn('may not borrow', self.refusal(server))
