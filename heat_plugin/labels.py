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

"""How the plugin marks what it creates on an engine, for every reader.

Each container, network and volume the plugin creates carries these
labels. Code that finds the plugin's containers without Heat (the
telemetry discovery in nova_docker_driver/telemetry) reads the same
marks; this module imports nothing, so it can.
"""

#: Everything the plugin created ('true').
LABEL_OWNER = 'org.openstack.heat.docker'
#: The Keystone project and user of the stack's request.
LABEL_PROJECT = 'org.openstack.heat.project'
LABEL_USER = 'org.openstack.heat.user'
#: The stack (a group member's: its nested stack) and resource name.
LABEL_STACK = 'org.openstack.heat.stack'
LABEL_RESOURCE = 'org.openstack.heat.resource'
LABEL_HOST = 'org.openstack.heat.docker-host'
