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

"""pytest fixtures shared by every side, and the quick tier.

The private Docker engine: ``docker_client``, ``docker_cleanup`` and
``docker`` below.

The quick tier (``make test-quick``): a test is marked ``quick`` here when
it lives under ``tests/unit/``, uses none of the engine fixtures and carries
none of the markers of tests that need more than this process (``slow``,
``docker``, ``root``, ``aio``). Quick tests need neither root, nor an
engine, nor the all-in-one. The marker is computed: set ``root`` or
``docker`` on a unit test that needs them rather than removing ``quick``.
"""

import os

import pytest

from tests.rig import docker_engine

#: Fixtures that reach the private engine (directly or through another).
ENGINE_FIXTURES = frozenset({'docker_client', 'docker_cleanup', 'docker',
                             'second_engine', 'second_docker', 'node_image',
                             'bays'})
#: Markers of tests that need root, an engine or the all-in-one, or time.
NOT_QUICK_MARKERS = ('slow', 'docker', 'root', 'aio')
UNIT_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'unit')


def is_quick(item):
    """True when the test needs nothing but this process (see above)."""
    path = str(item.path)
    if not path.startswith(UNIT_DIR + os.sep):
        return False
    if ENGINE_FIXTURES.intersection(getattr(item, 'fixturenames', ())):
        return False
    return not any(item.get_closest_marker(name)
                   for name in NOT_QUICK_MARKERS)


def pytest_collection_modifyitems(config, items):
    for item in items:
        quick = is_quick(item)
        if item.get_closest_marker('quick') and not quick:
            raise pytest.UsageError(
                '%s is marked quick by hand but needs root, an engine, the '
                'all-in-one or time (tests/conftest.py decides quick)'
                % item.nodeid)
        if quick:
            item.add_marker(pytest.mark.quick)


@pytest.fixture(scope='session')
def docker_client():
    """A docker client on the private engine, with the local images built."""
    engine = docker_engine.client()
    engine.ping()
    docker_engine.ensure_images(engine)
    yield engine
    engine.close()


@pytest.fixture
def docker_cleanup(docker_client):
    """Remove every container, network, volume and image the test created.

    Yields the snapshot taken before the test; ``snapshot.leftovers(client)``
    tells a test what is still there at any point.
    """
    before = docker_engine.Snapshot(docker_client)
    yield before
    docker_engine.remove_new(docker_client, before)


@pytest.fixture
def docker(docker_client, docker_cleanup):
    """The client, with cleanup of everything the test makes on it."""
    return docker_client
