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

"""Every error the Heat Docker plugin raises, with its message template.

Messages name the template field at fault and never carry TLS material:
endpoints are shown by their URL only, and Docker's own error text is passed
through ``scrub`` before it reaches a message (and so Heat's events).
"""


class DockerPluginError(Exception):
    msg_fmt = 'Docker plugin error'

    def __init__(self, **kwargs):
        self.kwargs = kwargs
        try:
            message = self.msg_fmt % kwargs
        except (KeyError, TypeError):
            message = self.msg_fmt
        super().__init__(message)


class InvalidProperty(DockerPluginError):
    msg_fmt = 'Property %(field)s: %(reason)s'


class PolicyRefused(DockerPluginError):
    msg_fmt = ('Property %(field)s: %(what)s is allowed only where policy '
               'rule %(rule)s passes (by default: administrators)')


class EndpointError(DockerPluginError):
    msg_fmt = 'Docker endpoint %(endpoint)s: %(reason)s'


class DockerAPIError(DockerPluginError):
    msg_fmt = 'Docker %(operation)s failed: %(reason)s'


class NotFound(DockerAPIError):
    msg_fmt = 'Docker %(operation)s: %(reason)s'


class Conflict(DockerAPIError):
    msg_fmt = 'Docker %(operation)s conflict: %(reason)s'


class ContainerExited(DockerPluginError):
    msg_fmt = ('Container %(name)s exited with code %(code)s while %(while_)s '
               '(state %(state)s); last log lines:\n%(logs)s')


class ContainerUnhealthy(DockerPluginError):
    msg_fmt = ('Container %(name)s (image %(image)s) is unhealthy while '
               '%(while_)s; last health check output: %(output)s')


class JobFailed(DockerPluginError):
    msg_fmt = ('Job %(name)s (image %(image)s) exited with code %(code)s'
               '%(error)s; last log lines:\n%(logs)s')


class JobTimedOut(DockerPluginError):
    msg_fmt = ('Job %(name)s (image %(image)s) did not finish within '
               'completion_timeout (%(timeout)s s) and was removed; last log '
               'lines:\n%(logs)s')


class JobNotSucceeded(DockerPluginError):
    msg_fmt = 'Job %(name)s is %(state)s, expected exited with code 0'


class ContainerNotRunning(DockerPluginError):
    msg_fmt = 'Container %(name)s is %(state)s, expected running'


class NoValidHost(DockerPluginError):
    msg_fmt = 'No registered Docker host can take %(what)s: %(reason)s'


class UnknownHost(DockerPluginError):
    msg_fmt = ('Docker host %(name)s is not registered in [docker_hosts] '
               '(known: %(known)s)')


def scrub(text, secrets=()):
    """Remove secret strings (TLS file paths, key material) from ``text``."""
    text = str(text)
    for secret in secrets:
        if secret:
            text = text.replace(str(secret), '<redacted>')
    return text
