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

"""Heat's own engine service, in-process, answering nested-stack RPC calls.

Nested stacks (OS::Heat::ResourceGroup and friends) talk to the engine over
RPC. Here the engine RPC client's call/cast go straight to a real
``heat.engine.service.EngineService`` in this process, with the context
serialised and rebuilt as the RPC layer does, so the nested stacks run on
Heat's real service code (legacy engine, real stack locks) and our real
resources.

The one liberty: the service's thread group manager runs each stack action
in the calling thread instead of a new one, because Heat's test database is
one in-memory SQLite connection that two threads cannot share. A nested
stack still creates its members side by side through Heat's task scheduler.
"""

from heat.common import context
from heat.engine import service
from heat.rpc import client as rpc_client
from oslo_config import cfg
from oslo_messaging.rpc import dispatcher
from oslo_log import log as logging

LOG = logging.getLogger(__name__)


class _Finished(object):
    """What ``start`` returns: the work is already done."""

    def link(self, callback, *args, **kwargs):
        callback(self, *args, **kwargs)


class InlineThreadGroupManager(service.ThreadGroupManager):
    """ThreadGroupManager whose 'threads' run at once, in the caller."""

    def start(self, stack_id, func, *args, **kwargs):
        try:
            func(*args, **kwargs)
        except Exception:
            # A real engine thread logs and ends; so do we.
            LOG.exception('Stack task for %s failed', stack_id)
        return _Finished()


class LocalEngine(object):

    def __init__(self):
        self.service = service.EngineService('local-host', 'engine')
        self.service.engine_id = 'local-engine'
        self.service.thread_group_mgr = InlineThreadGroupManager()

    def install(self, testcase):
        cfg.CONF.set_override('convergence_engine', False)
        testcase.patchobject(rpc_client.EngineClient, 'call',
                             side_effect=self._call)
        testcase.patchobject(rpc_client.EngineClient, 'cast',
                             side_effect=self._cast)

    def _dispatch(self, ctxt, msg):
        method, kwargs = msg
        ctx = context.RequestContext.from_dict(ctxt.to_dict())
        try:
            return getattr(self.service, method)(ctx, **kwargs)
        except dispatcher.ExpectedException as e:
            # The service wraps the Heat errors it expects; the RPC layer
            # hands the caller the error inside (Heat's code catches, for
            # example, NotSupported from stack_cancel_update).
            raise e.exc_info[1] from None

    def _call(self, ctxt, msg, version=None, timeout=None):
        return self._dispatch(ctxt, msg)

    def _cast(self, ctxt, msg, version=None):
        self._dispatch(ctxt, msg)
