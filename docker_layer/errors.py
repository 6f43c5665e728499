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

"""The SDK's failures, sorted once, named by each service's exceptions.

``call`` runs one Engine API operation and hands what went wrong to the
service's ``ErrorMap``, which returns the exception the service raises.
"""

import abc

from docker import errors as docker_errors
import requests

from docker_layer import client

#: Failures that mean the engine did not answer (down, wrong address,
#: timeout, connection lost). Checked after the API errors, which are
#: answers.
UNAVAILABLE = (requests.exceptions.RequestException,
               docker_errors.DockerException, OSError)
#: Bad TLS files (missing, a certificate without its key).
TLS_INVALID = docker_errors.TLSParameterError
#: Failures of the configuration rather than of the engine.
INVALID_CONFIG = (TLS_INVALID, client.BadEndpoint)


class ErrorMap(abc.ABC):
    """How one service names the engine's failures.

    Each method gets the operation (a short text such as ``'container
    start'``) and the SDK's exception, and returns the exception to raise.
    """

    @abc.abstractmethod
    def invalid_config(self, operation, exc):
        """Bad TLS files or an unusable endpoint URL in the options."""

    @abc.abstractmethod
    def unavailable(self, operation, exc):
        """The engine did not answer."""

    @abc.abstractmethod
    def not_found(self, operation, exc):
        """The engine has no such object (HTTP 404)."""

    def conflict(self, operation, exc):
        """The engine refused because of an object's state (HTTP 409).

        By default an API error like any other.
        """
        return self.api_error(operation, exc)

    @abc.abstractmethod
    def api_error(self, operation, exc):
        """The engine answered with any other error."""


def reason(exc):
    """Docker's own text of an API error, else the exception's text."""
    return getattr(exc, 'explanation', None) or str(exc)


def call(errors, operation, fn, *args, **kwargs):
    """``fn(*args, **kwargs)``, failures raised as ``errors`` names them."""
    try:
        return fn(*args, **kwargs)
    except docker_errors.NotFound as exc:
        raised = errors.not_found(operation, exc)
    except docker_errors.APIError as exc:
        if exc.status_code == 409:
            raised = errors.conflict(operation, exc)
        else:
            raised = errors.api_error(operation, exc)
    except INVALID_CONFIG as exc:
        raised = errors.invalid_config(operation, exc)
    except UNAVAILABLE as exc:
        raised = errors.unavailable(operation, exc)
    raise raised from None
