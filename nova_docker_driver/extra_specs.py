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

"""Flavor extra specs of the ``docker:`` namespace, checked by Nova's API.

Registered through the ``nova.api.extra_spec_validators`` entry point, so
``openstack flavor set --property docker:cpuset=abc`` is refused at once
with the key named, and an unknown ``docker:`` key is refused too. Whether a
cpuset fits a given host is checked by the driver at spawn (the API cannot
know the host).
"""

from nova.api.validation.extra_specs import base


def register():
    return [
        base.ExtraSpecValidator(
            name='docker:cpuset',
            description='Host cpus the container may run on (Docker '
                        'driver), e.g. 0-1 or 0,2.',
            value={'type': str, 'pattern': r'\d+(-\d+)?(,\d+(-\d+)?)*',
                   'description': 'cpu ids and ranges'},
        ),
        base.ExtraSpecValidator(
            name='docker:pids_limit',
            description='Most processes the container may hold (Docker '
                        'driver); overrides [docker] pids_limit.',
            value={'type': int, 'min': 1,
                   'description': 'a positive number of processes'},
        ),
    ]
