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

"""Nova host filters: ArchitectureFilter, TenantShareFilter, and
DockerHostFilter (the two in one filter).

Each judges one host at a time (``host_passes``) against the request's
facts from ``state.for_request``, computed once per scheduling pass. A
filter that leaves no host says why in the scheduler log (INFO) and
returns no hosts; Nova's scheduler then fails the request with
NoValidHost, as for its own filters.
"""

import abc
import logging

from nova.scheduler import filters
from nova.scheduler import utils

from scheduler_filters.nova import state
from scheduler_filters.nova import translate

LOG = logging.getLogger(__name__)


class _RequestFilter(filters.BaseHostFilter, metaclass=abc.ABCMeta):
    """A filter that judges hosts against one RequestState."""

    def host_passes(self, host_state, spec_obj):
        return self.passes(host_state, state.for_request(spec_obj))

    def filter_all(self, filter_obj_list, spec_obj):
        """The hosts that pass, the request's facts looked up once."""
        hosts = list(filter_obj_list)
        if not self.RUN_ON_REBUILD and utils.request_is_rebuild(spec_obj):
            return hosts
        request = state.for_request(spec_obj)
        out = [h for h in hosts if self.passes(h, request)]
        if hosts and not out:
            reason = self.refusal(hosts, request)
            if reason:
                LOG.info('%s: no host for instance %s of project %s: %s',
                         type(self).__name__,
                         state.uuid_of(request.spec_obj),
                         request.request.project_id, reason)
        return out

    @abc.abstractmethod
    def passes(self, host_state, request):
        """Whether ``host_state`` passes for ``request`` (a RequestState)."""

    def refusal(self, hosts, request):
        """Why none of ``hosts`` passed, for the log; None: nothing to
        add."""
        return None


class ArchitectureFilter(_RequestFilter):
    """Pass hosts that run the image's architecture natively or emulated.

    The image says what it runs on with ``hw_architecture``,
    ``hw_emulation_architecture`` and/or ``docker_platforms`` (an OCI image
    index's platforms, e.g. "linux/amd64,linux/arm64/v8"); hosts by
    ``supported_instances`` and,
    for emulation (binfmt), the ``docker_emulated_architectures`` compute
    stat or aggregate metadata. An unknown architecture passes no host
    (the reason is logged), never every host silently.
    """

    RUN_ON_REBUILD = True  # a rebuild may change the image

    def passes(self, host_state, request):
        if request.arch_error:
            return False
        if request.archs is None:
            return True
        return translate.runs(host_state, request.archs)

    def refusal(self, hosts, request):
        if request.arch_error:
            return request.arch_error
        return ('no host runs architecture %s'
                % '/'.join(sorted(request.archs or ())))


class TenantShareFilter(_RequestFilter):
    """Pass hosts whose pool lets the project place one more instance.

    A project within its entitlement places wherever there is room; beyond
    it, it borrows what others lend; otherwise it is refused (with the
    reason in the scheduler log). No plan configured: every host passes.
    A rebuild stays where it is and changes no usage: every host passes.
    """

    RUN_ON_REBUILD = False

    def passes(self, host_state, request):
        view = request.share()
        return view is None or view.decision(host_state).allowed

    def refusal(self, hosts, request):
        view = request.share()
        if view is None:
            return None
        reasons = sorted({d.reason for d in view.decisions if not d.allowed})
        return 'TenantShareFilter: project %s: %s' % (
            request.request.project_id, '; '.join(reasons))


class DockerHostFilter(_RequestFilter):
    """ArchitectureFilter then TenantShareFilter, as one filter.

    The same hosts pass (the share part is skipped on a rebuild, as Nova
    skips TenantShareFilter). It saves Nova's handler one pass over the
    hosts; existing configurations enable it. Enable either this or the
    two, not both.
    """

    RUN_ON_REBUILD = True  # the architecture part runs on a rebuild

    _arch = ArchitectureFilter()
    _share = TenantShareFilter()

    def passes(self, host_state, request):
        if not self._arch.passes(host_state, request):
            return False
        return request.rebuild or self._share.passes(host_state, request)

    def refusal(self, hosts, request):
        if request.rebuild or not any(self._arch.passes(h, request)
                                      for h in hosts):
            return self._arch.refusal(hosts, request)
        return self._share.refusal(hosts, request)


class InPlaceResizeFilter(filters.BaseHostFilter):
    """Prefer the Docker host that runs the container for its resize.

    On its own host the Docker driver changes a container's limits while
    it runs; on another host the container is stopped, copied through
    Glance and started there (a cold migration). With
    ``allow_resize_to_same_host`` the scheduler may pick either; this
    filter passes only the instance's own host when that host is still a
    candidate (it has room for the new flavor and is enabled), so a resize
    that fits stays in place. When it is not (the resize does not fit, the
    host is disabled, a cold migration, which never stays; an
    evacuation), and for new servers, every host passes and the container
    moves.
    """

    RUN_ON_REBUILD = False

    def host_passes(self, host_state, spec_obj):
        return self.filter_all([host_state], spec_obj) != []

    def filter_all(self, filter_obj_list, spec_obj):
        hosts = list(filter_obj_list)
        uuid = spec_obj.instance_uuid
        own = [h for h in hosts if h.hypervisor_type == 'docker'
               and uuid in h.instances]
        return own or hosts
