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

"""The one Engine API call the docker SDK's public API lacks.

``APIClient.update_container`` (docker 7.x) has no ``pids_limit`` and drops
every field whose value is falsy, so it can neither set ``PidsLimit`` nor
set a limit back to 0 or an empty cpuset. ``update_container`` here posts
the Engine API's own field names through the client's public session
methods (``base_url``, ``api_version``, ``timeout``, ``post``) and raises the
SDK's own APIError for an error answer, as the SDK's methods do.
"""

from urllib import parse

from docker import errors as docker_errors
import requests


def update_container(api, container, fields):
    """POST /containers/{id}/update; returns the engine's answer (dict).

    :param api: a ``docker.APIClient``.
    :param fields: Engine API names (``Memory``, ``PidsLimit``, ...); fields
        whose value is None are left out, as the SDK leaves them out.
    """
    url = '%s/v%s/containers/%s/update' % (
        api.base_url, api.api_version, parse.quote(container, safe=''))
    body = {k: v for k, v in fields.items() if v is not None}
    response = api.post(url, json=body, timeout=api.timeout)
    try:
        response.raise_for_status()
    except requests.exceptions.HTTPError as exc:
        # Raises APIError, or NotFound for a 404, with Docker's message.
        docker_errors.create_api_error_from_http_exception(exc)
    return response.json() if response.content else {}
