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

"""How the driver marks what belongs to an instance, for every reader.

The driver labels each container it creates and sets an ifalias on the
host end of each of an instance's veths. Code that finds an instance's
parts without Nova (the telemetry pollsters) reads the same marks; this
module imports nothing from Nova so it can.
"""

LABEL_UUID = 'org.openstack.nova.instance_uuid'
LABEL_HOST = 'org.openstack.nova.host'
LABEL_NAME = 'org.openstack.nova.instance_name'
LABEL_PROJECT = 'org.openstack.nova.project_id'
LABEL_IMAGE = 'org.openstack.nova.image_id'

#: Every host end of an instance's veths has the ifalias ALIAS_PREFIX + uuid.
ALIAS_PREFIX = 'nova-docker:'


def alias_for(instance_uuid):
    """The ifalias every host end of an instance carries."""
    return ALIAS_PREFIX + instance_uuid
