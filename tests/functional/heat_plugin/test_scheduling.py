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

"""Items 4 and 5: placement on registered Docker hosts by the
scheduler_filters core, across two real engines (the second one on tcp with
mutual TLS), and TLS material that never shows in events, outputs or logs."""

from tests.functional.heat_plugin import base  # noqa: I100 - rig first

import logging  # noqa: E402
import os  # noqa: E402

import pytest  # noqa: E402
from oslo_config import cfg  # noqa: E402

from heat_plugin import docker_client  # noqa: E402
from heat_plugin import hosts  # noqa: E402
from tests.rig import docker_engine  # noqa: E402

pytestmark = pytest.mark.slow


def containers(n, memory=67108864, image='dos/idle', extra=''):
    body = ''.join('''
  c%d:
    type: OS::Docker::Container
    properties:
      image: %s
      memory: %d
%s''' % (i, image, memory, extra) for i in range(n))
    return base.HOT + 'resources:' + body


class _Capture(logging.Handler):

    def __init__(self):
        super().__init__(logging.DEBUG)
        self.lines = []

    def emit(self, record):
        try:
            self.lines.append(record.getMessage())
        except Exception:  # noqa: S110 - a bad record is not our business
            pass
        if record.exc_info:
            import traceback
            self.lines.append(''.join(traceback.format_exception(
                *record.exc_info)))


class TestScheduling(base.DockerStackTestCase):

    @pytest.fixture(autouse=True)
    def _second(self, second_engine, second_docker):
        self.second = second_engine
        self.docker2, self.before2 = second_docker

    def setUp(self):
        super().setUp()
        self.register()

    def register(self, strategy='spread', architectures=None):
        pki = self.second.pki
        cfg.CONF.set_override('hosts', [
            'a=%s' % docker_engine.docker_host(),
            'b=%s' % self.second.tcp_url], group='docker_hosts')
        cfg.CONF.set_override('strategy', strategy, group='docker_hosts')
        # A changed [docker_hosts] means a restarted heat-engine: no facts.
        hosts.FACTS.clear()
        cfg.CONF.set_override('architectures', architectures or {},
                              group='docker_hosts')
        cfg.CONF.set_override('tls_ca_cert', pki['ca.pem'],
                              group='heat_docker')
        cfg.CONF.set_override('tls_client_cert', pki['cert.pem'],
                              group='heat_docker')
        cfg.CONF.set_override('tls_client_key', pki['key.pem'],
                              group='heat_docker')

    def placed(self, stack):
        """{resource name: host} from the plugin and from the engines."""
        by_attr = {name: stack[name].FnGetAtt('docker_host')
                   for name in stack.keys()
                   if stack[name].type() == 'OS::Docker::Container'}
        by_engine = {}
        for host, engine in (('a', self.docker), ('b', self.docker2)):
            for c in self.containers_of(stack, engine):
                by_engine[c['Labels'][docker_client.LABEL_RESOURCE]] = host
        self.assertEqual(by_attr, by_engine)
        return by_engine

    def nothing_left(self):
        self.assertEqual({}, self.leftovers())
        left = self.before2.leftovers(self.docker2)
        self.assertEqual({}, {k: v for k, v in left.items() if v})

    def test_spread_uses_both_engines(self):
        stack = self.create_stack(containers(4))
        self.assert_state(stack, 'CREATE')
        placed = self.placed(stack)
        self.assertEqual(['a', 'a', 'b', 'b'], sorted(placed.values()))
        self.delete_stack(stack)
        self.assert_state(stack, 'DELETE')
        self.nothing_left()

    def test_pack_fills_one_engine_first(self):
        self.register(strategy='pack')
        stack = self.create_stack(containers(3))
        self.assert_state(stack, 'CREATE')
        self.assertEqual(1, len(set(self.placed(stack).values())))

    def test_architecture_keeps_images_off_foreign_hosts(self):
        # Engine b declared arm64: the amd64 image may only go to a.
        self.register(architectures={'b': 'arm64'})
        stack = self.create_stack(containers(3))
        self.assert_state(stack, 'CREATE')
        self.assertEqual({'a'}, set(self.placed(stack).values()))
        # And an arm64-only fleet takes none of it, leaving nothing.
        self.register(architectures={'a': 'aarch64', 'b': 'arm64'})
        stack = self.create_stack(containers(1))
        self.assert_state(stack, 'CREATE', 'FAILED')
        self.assertIn('No registered Docker host can take '
                      'OS::Docker::Container c0', stack.status_reason)
        self.assertIn('no host runs the architecture x86_64 of the image '
                      '(hosts: a=aarch64, b=aarch64)', stack.status_reason)
        self.delete_stack(stack)

    def test_no_room_anywhere_names_the_request(self):
        stack = self.create_stack(containers(1, memory=2 ** 50))
        self.assert_state(stack, 'CREATE', 'FAILED')
        self.assertIn('no host has room for 0 vCPU / 1073741824 MiB',
                      stack.status_reason)
        self.delete_stack(stack)
        self.nothing_left()

    def test_containers_follow_their_network(self):
        stack = self.create_stack(base.HOT + '''
resources:
  net:
    type: OS::Docker::Network
''' + containers(3, extra='      networks: [{network: {get_resource: net}}]'
                 '\n').split('resources:', 1)[1])
        self.assert_state(stack, 'CREATE')
        host = stack['net'].FnGetAtt('docker_host')
        placed = self.placed(stack)
        # Spread would have put one of them on the other engine.
        self.assertEqual({'c0': host, 'c1': host, 'c2': host}, placed)
        self.delete_stack(stack)
        self.nothing_left()

    def test_share_plan_caps_a_project(self):
        path = os.path.join(self.second.dir, 'share-plan.yaml')
        with open(path, 'w') as f:
            f.write('version: 1\nresources: [instances]\n'
                    'unlisted_projects: deny\nprojects:\n'
                    '  - {name: tenant, project_id: test_tenant_id, '
                    'owns: {instances: 2}, borrow: false}\n')
        cfg.CONF.set_override('share_plan_file', path, group='docker_hosts')
        stack = self.create_stack(containers(2))
        self.assert_state(stack, 'CREATE')
        third = self.create_stack(containers(1))
        self.assert_state(third, 'CREATE', 'FAILED')
        self.assertIn('the share plan leaves project test_tenant_id no '
                      'share', third.status_reason)
        self.delete_stack(third)
        self.delete_stack(stack)
        self.nothing_left()

    def test_tls_material_never_shows(self):
        capture = _Capture()
        root = logging.getLogger()
        root.addHandler(capture)
        old_level = root.level
        root.setLevel(logging.DEBUG)
        self.addCleanup(root.setLevel, old_level)
        self.addCleanup(root.removeHandler, capture)
        # Everything on the TLS engine, through an admin's endpoint
        # override: a good container, one that fails, and a bad TLS setup.
        template = base.HOT + '''
outputs:
  info: {value: {get_attr: [good, info]}}
resources:
  good:
    type: OS::Docker::Container
    properties: {image: dos/idle, docker_endpoint: "%s"}
''' % self.second.tcp_url
        stack = self.create_admin(template)
        self.assert_state(stack, 'CREATE')
        self.assertEqual('running',
                         stack['good'].FnGetAtt('info')['State']['Status'])
        self.assertEqual(1, len(self.containers_of(stack, self.docker2)))
        bad = self.create_admin(template.replace('dos/idle',
                                                 'dos/exit-fail'))
        self.assert_state(bad, 'CREATE', 'FAILED')
        self.assertIn('exited with code 3', bad.status_reason)
        # A wrong client key: the engine refuses the handshake.
        wrong = os.path.join(self.second.dir, 'pki', 'server-key.pem')
        cfg.CONF.set_override('tls_client_key', wrong, group='heat_docker')
        broken = self.create_admin(template)
        self.assert_state(broken, 'CREATE', 'FAILED')
        self.assertIn('Docker endpoint %s' % self.second.tcp_url,
                      broken.status_reason)
        self.delete_stack(bad)
        self.delete_stack(broken)
        self.register()

        key_path = self.second.pki['key.pem']
        with open(key_path) as f:
            key_lines = [line.strip() for line in f
                         if len(line.strip()) > 16 and '-----' not in line]
        secrets = [key_path, wrong] + key_lines
        texts = list(capture.lines)
        for s in (stack, bad, broken):
            texts.append(s.status_reason)
            for event in base.events(s, self.admin_ctx):
                texts.append(repr(event))
        from heat.objects import event as event_object
        for s in (stack, bad, broken):
            for ev in event_object.Event.get_all_by_stack(self.admin_ctx,
                                                          s.id):
                texts.append(repr(ev.resource_properties))
        texts.append(repr(stack['good'].FnGetAtt('info')))
        self.assertGreater(len(texts), 10)
        blob = '\n'.join(texts)
        self.assertIn(self.second.tcp_url, blob)   # the search can hit
        for secret in secrets:
            self.assertNotIn(secret, blob)
