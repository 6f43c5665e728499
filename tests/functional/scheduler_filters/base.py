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

"""A mixed-architecture Nova cloud with this package's filters configured.

Real Nova (API, conductor, scheduler, computes, placement) in-process from
the rig; the compute hosts run Nova's fake driver, subclassed only to
report each host's architecture, emulation and size.
"""

import os
import tempfile
import warnings

# The rig first: it decides how Nova's test package patches threading.
from tests.rig import nova as nova_rig  # noqa: I100

from nova import conf as nova_conf  # noqa: E402
from nova import context as nova_context  # noqa: E402
from nova.objects import fields as obj_fields  # noqa: E402
from nova.tests.functional.api import client as api_client  # noqa: E402
from nova.virt import fake  # noqa: E402
from oslo_serialization import jsonutils  # noqa: E402
from sqlalchemy import exc as sqla_exc  # noqa: E402

from scheduler_filters.nova import state as sf_state  # noqa: E402

FILTERS = ['ComputeFilter', 'ServerGroupAntiAffinityFilter',
           'ServerGroupAffinityFilter', 'ArchitectureFilter',
           'TenantShareFilter']
WEIGHERS = ['scheduler_filters.BinPackWeigher',
            'scheduler_filters.EmulationWeigher',
            'scheduler_filters.TenantShareWeigher',
            # Nova refuses soft-anti-affinity groups unless this weigher
            # is configured; its multiplier is 0 below, so any spreading
            # the tests see is BinPackWeigher's spread mode.
            'nova.scheduler.weights.affinity.'
            'ServerGroupSoftAntiAffinityWeigher']


class FleetDriver(fake.FakeDriver):
    """Nova's fake driver with a per-host architecture and size.

    ``fleet`` maps host name -> dict(arch=..., emulates=..., vcpus=...,
    memory_mb=...); set on a subclass per test case.
    """

    fleet = {}

    def init_host(self, host):
        spec = self.fleet.get(host, {})
        self.vcpus = spec.get('vcpus', 4)
        self.memory_mb = spec.get('memory_mb', 8192)
        self.local_gb = spec.get('local_gb', 100)
        self.resources = fake.Resources(vcpus=self.vcpus,
                                        memory_mb=self.memory_mb,
                                        local_gb=self.local_gb)
        self.host_status_base = dict(self.host_status_base)
        self.host_status_base['supported_instances'] = [
            (spec.get('arch', obj_fields.Architecture.X86_64),
             obj_fields.HVType.DOCKER, obj_fields.VMMode.EXE)]
        self._emulates = spec.get('emulates')
        super().init_host(host)

    def get_available_resource(self, nodename):
        res = super().get_available_resource(nodename)
        if res:
            # cpu_info names the host's architecture, as the Docker
            # driver's does (the fake driver always says x86_64).
            cpu_info = jsonutils.loads(res['cpu_info'])
            cpu_info['arch'] = self.host_status_base[
                'supported_instances'][0][0]
            res['cpu_info'] = jsonutils.dumps(cpu_info)
        if res and self._emulates:
            res['stats'] = {'docker_emulated_architectures': self._emulates}
        return res


class SchedulerCloud(nova_rig.NovaCloudTestCase):
    """Subclasses set ``fleet`` (host -> spec) and optionally ``plan``."""

    fleet = {}
    plan = None
    extra_flags = {}
    weighers = WEIGHERS
    filters = FILTERS

    @property
    def compute_hosts(self):
        return tuple(self.fleet)

    def setUp(self):
        self._fleet_driver = type('Fleet', (FleetDriver,),
                                  {'fleet': self.fleet})
        # CONF.host names the compute being started while Nova builds its
        # driver.
        self.compute_driver = lambda virtapi: self.driver_for_host(
            virtapi, nova_conf.CONF.host)
        sf_state.reset()
        tmp = tempfile.mkdtemp(prefix='sched-plan-')
        self.plan_path = os.path.join(tmp, 'share-plan.yaml')
        if self.plan is not None:
            self.write_plan(self.plan)
        super().setUp()
        # Nova 34's WarningsFixture turns SQLAlchemy deprecations raised in
        # nova into errors; with SQLAlchemy 2.1 nova.db's own noload() use
        # then breaks every instance update on the NoValidHost path. That
        # is Nova's bug, not ours: ignore exactly that warning.
        warnings.filterwarnings(
            'ignore', message=r'The noload\(\) option is deprecated',
            category=sqla_exc.SADeprecationWarning)
        self.addCleanup(sf_state.reset)
        self.ctxt = nova_context.get_admin_context()

    def driver_for_host(self, virtapi, host):
        return self._fleet_driver(virtapi)

    def write_plan(self, text):
        tmp = self.plan_path + '.tmp'
        with open(tmp, 'w') as f:
            f.write(text)
        os.replace(tmp, self.plan_path)

    def _setup_services(self):
        self.flags(available_filters=[
            'nova.scheduler.filters.all_filters',
            'scheduler_filters.ArchitectureFilter',
            'scheduler_filters.TenantShareFilter',
            'scheduler_filters.DockerHostFilter'], group='filter_scheduler')
        self.flags(enabled_filters=self.filters, weight_classes=self.weighers,
                   shuffle_best_same_weighed_hosts=False,
                   soft_anti_affinity_weight_multiplier=0.0,
                   group='filter_scheduler')
        self.flags(instances=-1, cores=-1, ram=-1, group='quota')
        # The initial ratios too: compute nodes are created with them and
        # only a periodic task (not run here) would apply the others.
        self.flags(cpu_allocation_ratio=1.0, ram_allocation_ratio=1.0,
                   disk_allocation_ratio=1.0, initial_cpu_allocation_ratio=1.0,
                   initial_ram_allocation_ratio=1.0,
                   initial_disk_allocation_ratio=1.0)
        if self.plan is not None:
            self.flags(share_plan_file=self.plan_path,
                       share_plan_check_interval=0,
                       capacity_cache_seconds=0, group='docker_scheduler')
        for group, values in self.extra_flags.items():
            self.flags(group=None if group == 'DEFAULT' else group, **values)
        super()._setup_services()

    # helpers

    def project_api(self, project_id):
        api = api_client.TestOpenStackClient(
            'user-' + project_id, self.api.base_url, project_id=project_id,
            roles=['reader', 'member'])
        api.microversion = 'latest'
        return api

    def image(self, name, **properties):
        image = {'name': name, 'status': 'active', 'container_format': 'bare',
                 'disk_format': 'raw', 'min_ram': 0, 'min_disk': 0,
                 'size': 1, 'properties': properties}
        return self.glance.create(self.ctxt, image)['id']

    def flavor(self, name, vcpus, memory_mb, disk=1):
        body = {'flavor': {'name': name, 'vcpus': vcpus, 'ram': memory_mb,
                           'disk': disk}}
        return self.admin_api.post_flavor(body)['id']

    def boot(self, image, flavor=None, api=None, expected='ACTIVE',
             name=None):
        server = self._build_server(name=name, image_uuid=image,
                                    flavor_id=flavor, networks='none')
        created = (api or self.api).post_server({'server': server})
        return self._wait_for_state_change(created, expected)

    def refusal(self, server):
        """Why the scheduler refused ``server``: the fault says no host was
        valid (Nova's words); the filter that left none logs the reason,
        naming the instance."""
        self.assertIn('No valid host', server['fault']['message'])
        lines = [line for line in self.stdlog.logger.output.splitlines()
                 if 'no host for instance %s' % server['id'] in line]
        self.assertTrue(lines, 'no refusal logged for %s' % server['id'])
        return '\n'.join(lines)

    def host_of(self, server):
        return self.admin_api.get_server(server['id'])[
            'OS-EXT-SRV-ATTR:host']
