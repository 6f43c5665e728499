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

"""Tenant-safety rules of the Docker resources, as oslo.policy rules.

Anything that would let a container reach the Docker host (privileged mode,
host binds, devices, added capabilities, the host's network / pid / ipc
namespaces) or point a resource at an engine of the template's choosing is
admin-only by default. The resources check these rules in ``validate()`` and
again before their first Engine API call, so a refusal always comes before
anything exists. Operators override the rules in Heat's policy file.
"""

import threading

from oslo_config import cfg
from oslo_policy import policy

from heat_plugin import exception

ADMIN = 'role:admin'

PRIVILEGED = 'docker:container:privileged'
HOST_BINDS = 'docker:container:host_binds'
DEVICES = 'docker:container:devices'
CAP_ADD = 'docker:container:cap_add'
HOST_NETWORK = 'docker:container:host_network'
HOST_PID = 'docker:container:host_pid'
HOST_IPC = 'docker:container:host_ipc'
ENDPOINT = 'docker:endpoint_override'
FOREIGN = 'docker:container:other_projects'
NETWORK_OPTIONS = 'docker:network:driver_options'
VOLUME_OPTIONS = 'docker:volume:driver_options'

_RULES = [
    (PRIVILEGED, 'Run a container in privileged mode (root on the host).'),
    (HOST_BINDS, 'Bind-mount a path of the Docker host into a container.'),
    (DEVICES, 'Map a device of the Docker host into a container.'),
    (CAP_ADD, 'Add Linux capabilities to a container.'),
    (HOST_NETWORK, 'Run a container in the host\'s network namespace.'),
    (HOST_PID, 'Run a container in the host\'s pid namespace.'),
    (HOST_IPC, 'Run a container in the host\'s ipc namespace.'),
    (ENDPOINT, 'Name a Docker endpoint in a template instead of letting '
               'the plugin place the resource.'),
    (FOREIGN, 'Use another project\'s container (volumes_from, links) or '
              'join another project\'s network.'),
    (NETWORK_OPTIONS, 'Pass driver options to a network (they can name '
                      'host bridges and interfaces).'),
    (VOLUME_OPTIONS, 'Pass driver options to a volume (the local driver '
                     'mounts host devices and paths with them).'),
]


def list_rules():
    return [policy.RuleDefault(name, ADMIN, description=desc)
            for name, desc in _RULES]


_enforcer = None
_lock = threading.Lock()


def get_enforcer(conf=cfg.CONF):
    """One enforcer per process; it reads Heat's policy file for overrides."""
    global _enforcer
    with _lock:
        if _enforcer is None:
            enforcer = policy.Enforcer(conf)
            enforcer.register_defaults(list_rules())
            _enforcer = enforcer
        return _enforcer


def reset():
    global _enforcer
    with _lock:
        _enforcer = None


def allowed(context, rule):
    creds = context.to_policy_values()
    target = {'project_id': creds.get('project_id')}
    return get_enforcer().enforce(rule, target, creds)


def enforce(context, rule, field, what):
    """Raise PolicyRefused naming ``field`` unless ``rule`` passes."""
    if not allowed(context, rule):
        raise exception.PolicyRefused(field=field, what=what, rule=rule)
