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

"""The Heat benchmarks' case: the rig's real Heat engine on the project's
Docker engine, with whatever a round leaves on the engine removed."""

from tests.rig import heat as heat_rig  # noqa: I100 - first, see the rig

from oslo_config import cfg  # noqa: E402

from heat_plugin import conf as plugin_conf  # noqa: E402
from heat_plugin import hosts  # noqa: E402
from tests.rig import docker_engine  # noqa: E402


class DockerBench(heat_rig.HeatStackTestCase):

    figures = None

    def setUp(self):
        super().setUp()
        plugin_conf.register_opts()
        cfg.CONF.set_override('endpoint', docker_engine.docker_host(),
                              group='heat_docker')
        cfg.CONF.set_override('pull_images', False, group='heat_docker')
        hosts.FACTS.clear()
        self.docker = docker_engine.client()
        docker_engine.ensure_images(self.docker)
        self.before = docker_engine.Snapshot(self.docker)
        self.addCleanup(docker_engine.remove_new, self.docker, self.before)
        self.stop_timeout = cfg.CONF.heat_docker.stop_timeout
