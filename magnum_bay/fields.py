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

"""Magnum's status, health and COE names, without importing Magnum."""

CREATE_IN_PROGRESS = 'CREATE_IN_PROGRESS'
CREATE_FAILED = 'CREATE_FAILED'
CREATE_COMPLETE = 'CREATE_COMPLETE'
UPDATE_IN_PROGRESS = 'UPDATE_IN_PROGRESS'
UPDATE_FAILED = 'UPDATE_FAILED'
UPDATE_COMPLETE = 'UPDATE_COMPLETE'
DELETE_IN_PROGRESS = 'DELETE_IN_PROGRESS'
DELETE_FAILED = 'DELETE_FAILED'
DELETE_COMPLETE = 'DELETE_COMPLETE'

IN_PROGRESS = (CREATE_IN_PROGRESS, UPDATE_IN_PROGRESS, DELETE_IN_PROGRESS)
COMPLETE = (CREATE_COMPLETE, UPDATE_COMPLETE)
FAILED = (CREATE_FAILED, UPDATE_FAILED, DELETE_FAILED)
# A bay in these states can be updated, resized or upgraded; Magnum also
# lets an UPDATE_FAILED bay be updated again to repair it.
UPDATABLE = (CREATE_COMPLETE, UPDATE_COMPLETE, UPDATE_FAILED)

HEALTHY = 'HEALTHY'
UNHEALTHY = 'UNHEALTHY'
UNKNOWN = 'UNKNOWN'

SWARM_MODE = 'swarm-mode'
KUBERNETES = 'kubernetes'
MESOS = 'mesos'
COES = (SWARM_MODE, KUBERNETES, MESOS)

ROLE_MASTER = 'master'
ROLE_WORKER = 'worker'

SERVER_TYPE = 'container'
