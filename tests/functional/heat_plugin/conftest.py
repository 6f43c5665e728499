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

"""Session fixtures of the Heat plugin tests."""

import pytest

from tests.functional.heat_plugin import second_engine as second_mod
from tests.rig import docker_engine


@pytest.fixture(scope='session')
def second_engine():
    """A second real Docker engine on tcp+TLS, stopped after the session."""
    engine = second_mod.SecondEngine().start()
    yield engine
    engine.stop()


@pytest.fixture
def second_docker(second_engine):
    """Its client, with cleanup of whatever a test made there."""
    client = second_engine.client()
    before = docker_engine.Snapshot(client)
    yield client, before
    docker_engine.remove_new(client, before)
    client.close()
