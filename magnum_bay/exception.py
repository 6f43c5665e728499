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

"""Every error of the bay service, each with a message template.

``field`` (when set) names the template or bay field that was wrong, so the
CLI and the tests can point at it.
"""


class BayError(Exception):
    msg_fmt = 'bay error'
    field = None

    def __init__(self, message=None, **kwargs):
        self.kwargs = kwargs
        if 'field' in kwargs:
            self.field = kwargs['field']
        if message is None:
            message = self.msg_fmt % kwargs
        super().__init__(message)


class InvalidParameter(BayError):
    msg_fmt = 'invalid %(field)s: %(reason)s'


class Conflict(BayError):
    msg_fmt = '%(what)s: %(reason)s'


class NotFound(BayError):
    msg_fmt = '%(kind)s %(ident)s not found'


class TemplateNotFound(NotFound):
    def __init__(self, ident):
        super().__init__(kind='cluster template', ident=ident)


class BayNotFound(NotFound):
    def __init__(self, ident):
        super().__init__(kind='cluster', ident=ident)


class Ambiguous(BayError):
    msg_fmt = 'more than one %(kind)s is named %(ident)s; use its uuid'


class DriverNotFound(BayError):
    msg_fmt = 'no bay driver for coe %(coe)s (known: %(known)s)'


class NodeImageMissing(BayError):
    msg_fmt = ('node image %(image)s is not on the Docker engine '
               '(%(hint)s)')


class NodeFailed(BayError):
    msg_fmt = 'node %(node)s: %(reason)s'


class OperationTimeout(BayError):
    msg_fmt = '%(operation)s did not finish within %(seconds)s seconds: %(reason)s'


class InvalidState(BayError):
    msg_fmt = 'cluster %(bay)s is %(status)s; %(operation)s needs %(needs)s'


class NotSupported(BayError):
    msg_fmt = '%(operation)s is not supported by the %(coe)s driver'


class ConfigInvalid(BayError):
    msg_fmt = '%(what)s failed validation: %(reason)s'
