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

"""Neutron ports as veth pairs inside a container's network namespace.

How it fits: ``vif`` turns a Nova VIF into a plain wiring spec, ``plugger``
holds one host-side strategy per VIF type (os-vif style), ``linux_net``
holds every privileged netlink call (run through ``privsep``), and
``mixin.NetworkMixin`` gives the driver its ComputeDriver networking methods
plus the two hooks it calls around container starts and destroys.
"""
