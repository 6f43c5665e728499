"""pytest fixtures shared by every side: the private Docker engine."""

import pytest

from tests.rig import docker_engine


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
