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

"""Issue #19 point 3: a rolling release of an OS::Heat::ResourceGroup of
containers (examples/rolling_release.yaml) on Heat's real engine service and
the real Docker engine: batches of one with min_in_service members
answering throughout, and a release whose containers turn unhealthy rolled back to
the previous image by Heat itself."""

from tests.functional.heat_plugin import base  # noqa: I100 - rig first

from docker import errors as docker_errors  # noqa: E402
from heat.common import template_format  # noqa: E402
from heat.engine import stack as stack_mod  # noqa: E402

from tests.functional.heat_plugin import local_engine  # noqa: E402
from tests.rig import web_probe  # noqa: E402

# Two members, one in service: the e2e test runs the example's four and
# three; here Heat's one-second polls make every batch cost seconds.
COUNT = 2
MIN_IN_SERVICE = 1

ASG = base.HOT + '''
parameters:
  image: {type: string}
  count: {type: number}
  min_in_service: {type: number}
resources:
  web:
    type: OS::Heat::AutoScalingGroup
    properties:
      min_size: {get_param: count}
      max_size: {get_param: count}
      rolling_updates:
        max_batch_size: 1
        min_in_service: {get_param: min_in_service}
        pause_time: 0
      resource:
        type: OS::Docker::Container
        properties:
          image: {get_param: image}
          labels: {role: web}
'''


class TestRollingRelease(base.DockerStackTestCase):

    def setUp(self):
        super().setUp()
        self.engine = local_engine.LocalEngine()
        self.engine.install(self)
        self.template = base.example('rolling_release.yaml')
        self.seen = []
        self.sizes = {'count': COUNT, 'min_in_service': MIN_IN_SERVICE}

    def service_create(self, params):
        ident = self.engine.service.create_stack(
            self.ctx, 'release', template_format.parse(self.template),
            dict(params, **self.sizes), {}, {'disable_rollback': True})
        stack = stack_mod.Stack.load(self.ctx, stack_id=ident['stack_id'])
        self.addCleanup(self._delete_quietly, stack)
        return stack

    def service_update(self, stack, params, rollback):
        """Update through the engine service, as heat-api asks it to."""
        self.engine.service.update_stack(
            stack.context, dict(stack.identifier()),
            template_format.parse(self.template), dict(params, **self.sizes),
            {}, {'disable_rollback': not rollback})
        return stack_mod.Stack.load(stack.context, stack_id=stack.id)

    def members(self, running=True):
        """{container id: inspect} of the group's containers."""
        api = self.docker.api
        found = {}
        for c in api.containers(all=not running,
                                filters={'label': 'role=web'}):
            try:
                found[c['Id']] = api.inspect_container(c['Id'])
            except docker_errors.NotFound:
                pass    # removed between the list and the inspect
        return found

    def targets(self):
        """The members to probe; what each runs and its health, kept per
        round in ``self.seen``."""
        members = self.members()
        self.seen.append({cid: (i['Config']['Image'],
                                (i['State'].get('Health') or {}).get('Status'))
                          for cid, i in members.items()})
        return [(cid, info['NetworkSettings']['IPAddress'])
                for cid, info in members.items()]

    def assert_release(self, image, stack):
        members = self.members()
        self.assertEqual(COUNT, len(members))
        self.assertEqual({image}, {i['Config']['Image']
                                   for i in members.values()})
        self.assertEqual({'healthy'}, {i['State']['Health']['Status']
                                       for i in members.values()})
        # Nothing else is left: no stopped member of another release.
        self.assertEqual(set(members), set(self.members(running=False)))
        for info in members.values():
            self.assertEqual(image.split('/')[1], web_probe.get(
                info['NetworkSettings']['IPAddress'], 8080))

    def assert_batches(self, image, max_batch_size):
        self.assertGreater(len(self.seen), 5)
        for tick in self.seen:
            on_the_way = [cid for cid, (img, health) in tick.items()
                          if img == image and health != 'healthy']
            self.assertLessEqual(len(on_the_way), max_batch_size, self.seen)
            healthy = [cid for cid, (_img, health) in tick.items()
                       if health == 'healthy']
            self.assertGreaterEqual(len(healthy), MIN_IN_SERVICE, self.seen)

    def test_rolling_release_keeps_min_in_service_answering(self):
        stack = self.service_create({'image': 'dos/release-1'})
        self.assert_state(stack, 'CREATE')
        self.assert_release('dos/release-1', stack)
        before = set(self.members())

        with web_probe.Prober(self.targets, 8080) as probe:
            stack = self.service_update(stack, {'image': 'dos/release-2'},
                                        rollback=True)
        self.assert_state(stack, 'UPDATE')
        self.assertEqual([], probe.errors)
        self.assert_release('dos/release-2', stack)
        self.assertFalse(before & set(self.members()))
        answering = probe.answering()
        self.assertGreater(len(answering), 5, probe.ticks)
        self.assertGreaterEqual(min(answering), MIN_IN_SERVICE, answering)
        # Batches of one (max_batch_size): never more than one member of
        # the new release on its way to healthy at once, and never fewer
        # than min_in_service healthy members.
        self.assert_batches('dos/release-2', max_batch_size=1)
        self.assertEqual(COUNT, len({cid for tick in self.seen
                                 for cid, (image, _h) in tick.items()
                                 if image == 'dos/release-2'}))
        self.delete_leaving_nothing(stack)

    def test_unhealthy_release_is_rolled_back_by_heat(self):
        stack = self.service_create({'image': 'dos/release-1'})
        self.assert_state(stack, 'CREATE')
        before = set(self.members())

        with web_probe.Prober(self.targets, 8080) as probe:
            stack = self.service_update(stack, {'image': 'dos/release-bad'},
                                        rollback=True)
        self.assert_state(stack, 'ROLLBACK')
        self.assertEqual([], probe.errors)
        reasons = ' '.join([stack.status_reason, base.reasons(stack),
                            base.reasons(stack['web'].nested())])
        self.assertIn('unhealthy', reasons)
        self.assertIn('dos/release-bad', reasons)
        self.assertIn('GET /healthz: not 200 OK', reasons)
        # Back on the previous image, every member healthy; release-1 kept
        # answering on at least min_in_service members throughout.
        self.assert_release('dos/release-1', stack)
        self.assertEqual(['healthy'] * COUNT,
                         stack['web'].FnGetAtt('health'))
        self.assertGreaterEqual(min(probe.answering('release-1')),
                                MIN_IN_SERVICE, probe.answering('release-1'))
        # Heat stopped at the first failed batch: one member replaced.
        self.assertLessEqual(len(before - set(self.members())), 1)
        self.assertLessEqual(len({cid for tick in self.seen
                                  for cid, (image, _h) in tick.items()
                                  if image == 'dos/release-bad'}), 1)
        self.delete_leaving_nothing(stack)

    def test_autoscaling_group_rolls_batches_of_healthy_members(self):
        # OS::Heat::AutoScalingGroup's rolling_updates go through the same
        # resource contract: a batch is done once its members are healthy.
        self.template = ASG
        stack = self.service_create({'image': 'dos/release-1'})
        self.assert_state(stack, 'CREATE')
        self.assert_release('dos/release-1', stack)
        with web_probe.Prober(self.targets, 8080) as probe:
            stack = self.service_update(stack, {'image': 'dos/release-2'},
                                        rollback=True)
        self.assert_state(stack, 'UPDATE')
        self.assert_release('dos/release-2', stack)
        self.assert_batches('dos/release-2', max_batch_size=1)
        self.assertGreaterEqual(min(probe.answering()), MIN_IN_SERVICE,
                                probe.answering())
        self.delete_leaving_nothing(stack)
