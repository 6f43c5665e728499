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

"""Every error the scheduler package raises, with its message template.

Messages name the field or plan node at fault, so an operator reading a
scheduler log (or a Heat user reading a stack failure) knows what to fix.
"""


class SchedulerFiltersError(Exception):
    """Base class; ``msg_fmt`` is filled from the keyword arguments."""

    msg_fmt = 'scheduler filters error'

    def __init__(self, **kwargs):
        self.kwargs = kwargs
        try:
            message = self.msg_fmt % kwargs
        except (KeyError, TypeError):
            # A template bug must not hide the original problem.
            message = '%s %r' % (self.msg_fmt, kwargs)
        super().__init__(message)


class UnknownArchitecture(SchedulerFiltersError, ValueError):
    msg_fmt = ('%(field)s: unknown architecture %(name)r (known: %(known)s)')


class MalformedPlatform(SchedulerFiltersError, ValueError):
    msg_fmt = ('%(field)s: malformed platform %(value)r: %(reason)s')


class InvalidRequest(SchedulerFiltersError, ValueError):
    msg_fmt = 'invalid scheduling request: %(field)s: %(reason)s'


class InvalidHostFacts(SchedulerFiltersError, ValueError):
    msg_fmt = 'invalid host facts for %(host)s: %(field)s: %(reason)s'


class InvalidSharePlan(SchedulerFiltersError, ValueError):
    msg_fmt = 'invalid share plan %(source)s at %(node)s: %(reason)s'


class SharePlanUnavailable(SchedulerFiltersError):
    msg_fmt = 'no valid share plan loaded from %(source)s: %(reason)s'


class ReclaimError(SchedulerFiltersError):
    msg_fmt = 'reclaim failed for %(what)s: %(reason)s'
