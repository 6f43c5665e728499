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

"""The Docker fixture runs real containers and leaves nothing behind."""

import docker as docker_sdk
import pytest

from tests.rig import docker_engine


def test_container_runs_from_local_image_and_is_gone(docker_client):
    before = docker_engine.Snapshot(docker_client)
    out = docker_client.containers.run('dos/busybox:latest',
                                       ['echo', 'hello'], remove=False)
    assert out.strip() == b'hello'
    container = docker_client.containers.list(all=True)[0]
    net = docker_client.networks.create('rig-test-net')
    vol = docker_client.volumes.create('rig-test-vol')
    removed = docker_engine.remove_new(docker_client, before)
    assert container.id in removed['containers']
    assert net.id in removed['networks']
    assert vol.name in removed['volumes']
    assert before.leftovers(docker_client) == {
        'containers': set(), 'networks': set(), 'volumes': set(),
        'images': set()}
    with pytest.raises(docker_sdk.errors.NotFound):
        docker_client.containers.get(container.id)


def test_cleanup_runs_when_a_test_fails(docker_client):
    before = docker_engine.Snapshot(docker_client)
    made = []
    with pytest.raises(AssertionError):
        try:
            made.append(docker_client.containers.run(
                'dos/idle:latest', detach=True))
            assert False, 'the test body fails'
        finally:
            docker_engine.remove_new(docker_client, before)
    with pytest.raises(docker_sdk.errors.NotFound):
        docker_client.containers.get(made[0].id)


def test_images_are_local_and_behave(docker):
    assert docker.containers.run('dos/busybox:latest', ['uname', '-s'],
                                 remove=True).strip() == b'Linux'
    failing = docker.containers.run('dos/exit-fail:latest', detach=True)
    assert failing.wait(timeout=30)['StatusCode'] == 3
    assert b'failing on purpose' in failing.logs()


def test_http_image_serves_on_its_port(docker):
    server = docker.containers.run('dos/httpd:latest', detach=True)
    # An HTTP GET with nc from a second container on the same bridge.
    server.reload()
    ip = server.attrs['NetworkSettings']['IPAddress']
    body = docker.containers.run(
        'dos/busybox:latest',
        ['sh', '-c', 'for i in 1 2 3 4 5 6 7 8 9 10; do '
                     'printf "GET / HTTP/1.0\\r\\n\\r\\n" | nc %s 8080 '
                     '&& exit 0; sleep 0.3; done; exit 1' % ip],
        remove=True)
    assert b'hello from docker-on-openstack' in body


def test_image_cache_is_reused(docker_client):
    built = docker_engine.tools_module('build_images').build_all(
        docker_client)
    assert built and not any(built.values()), built
