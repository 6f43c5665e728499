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

"""Real Heat stacks in-process: Heat's engine on SQLite with our plugins loaded.

heat-engine loads resource plugins from ``plugin_dirs``; here that option
points at the ``heat_plugin/resources`` folder of the installed package, as
an operator's heat.conf does, before Heat builds its global environment.

Import this module only in the Heat-side test process, and before anything
imports ``heat.engine`` (``heat.tests.common`` picks oslo.service's
threading backend on import).
"""

import os
import sysconfig

from heat.tests import common  # noqa: I100 - must come first, see above

from heat.common import config as heat_config  # noqa: F401 - registers opts
from heat.common import template_format
from heat.engine import resources as heat_resources
from heat.engine import scheduler
from heat.tests import utils
from oslo_config import cfg

import heat_plugin.resources


def plugin_dir():
    return os.path.dirname(os.path.abspath(heat_plugin.resources.__file__))


def environment_dir():
    return os.path.join(sysconfig.get_paths()['data'], 'etc', 'heat',
                        'environment.d')


# Heat builds its global environment once per process, on the first
# HeatTestCase.setUp, after setting environment_dir's default to a folder pip
# does not install; an override wins over that default for the build.
# Defaults survive the per-test CONF.reset() that clears overrides.
cfg.CONF.set_default('plugin_dirs', [plugin_dir()])
cfg.CONF.set_default('environment_dir', environment_dir())
cfg.CONF.set_override('plugin_dirs', [plugin_dir()])
cfg.CONF.set_override('environment_dir', environment_dir())


class HeatStackTestCase(common.HeatTestCase):
    """Create, update and delete real stacks on Heat's engine."""

    #: Let the task scheduler sleep between polls, as heat-engine does;
    #: Heat's unit tests turn sleeping off, which would busy-loop on Docker.
    real_sleep = True

    def setUp(self):
        super().setUp()
        if self.real_sleep:
            scheduler.ENABLE_SLEEP = True
        # heat.conf as an operator writes it (reset after each test).
        cfg.CONF.set_override('plugin_dirs', [plugin_dir()])
        cfg.CONF.set_override('environment_dir', environment_dir())
        self.ctx = utils.dummy_context()
        self.admin_ctx = utils.dummy_context(roles=['admin'], is_admin=True)

    def parse(self, template, params=None, name=None, ctx=None):
        if isinstance(template, str):
            template = template_format.parse(template)
        stack = utils.parse_stack(template, params=params or {},
                                  stack_name=name)
        if ctx is not None:
            stack.context = ctx
        return stack

    def create_stack(self, template, params=None, name=None, ctx=None):
        """Parse, store and create a stack; the test cleans it up."""
        stack = self.parse(template, params=params, name=name, ctx=ctx)
        stack.store()
        self.addCleanup(self._delete_quietly, stack)
        stack.create()
        return stack

    def delete_stack(self, stack):
        stack.delete()
        return stack

    @staticmethod
    def _delete_quietly(stack):
        if stack.state != (stack.DELETE, stack.COMPLETE):
            try:
                stack.delete()
            except Exception:  # noqa: S110 - cleanup must not mask failures
                pass


def global_resource_types():
    return heat_resources.global_env().get_types()
