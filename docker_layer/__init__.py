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

"""The one Docker-facing layer of docker-on-openstack.

The Nova driver, the Heat plugin and the bay service reach Docker engines
through this package: ``conf`` registers one set of endpoint and TLS options
in each service's group, ``client`` builds docker SDK clients from them,
``errors`` turns the SDK's failures into each service's own exceptions and
``compat`` holds the one call the SDK's public API lacks.
"""
