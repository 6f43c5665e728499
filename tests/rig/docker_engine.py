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

"""A docker client on the project's private engine, and cleanup of what a test made.

Cleanup works by difference: the ids of containers, networks, volumes and
images present before the test are recorded, and everything new afterwards
is removed, whether the test passed or failed. Swarm-mode services and a
swarm itself are left to the tests that create them.
"""

import importlib
import os
import sys

import docker

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
#: The private engine's state folder (git-ignored), as the Makefile sets it.
STATE = os.environ.get('DOS_STATE') or os.path.join(ROOT, '.state')
SOCKET = os.path.join(STATE, 'docker.sock')
BUILTIN_NETWORKS = ('bridge', 'host', 'none')


def docker_host():
    return os.environ.get('DOCKER_HOST') or 'unix://%s' % SOCKET


def client(timeout=120):
    return docker.DockerClient(base_url=docker_host(), timeout=timeout)


def tools_module(name):
    """Import a script of tools/ (they are not a package) as a module."""
    sys.path.insert(0, os.path.join(ROOT, 'tools'))
    try:
        return importlib.import_module(name)
    finally:
        sys.path.pop(0)


def ensure_images(engine):
    """Build the local test images if they are missing (cached by content)."""
    tools_module('build_images').build_all(engine)


class Snapshot:
    """What exists on the engine at one moment, by id."""

    def __init__(self, engine):
        api = engine.api
        self.containers = {c['Id'] for c in api.containers(all=True)}
        # An engine restarted during a test re-creates its built-in networks
        # under new ids; they are the engine's, never the test's.
        self.networks = {n['Id'] for n in api.networks()
                         if n['Name'] not in BUILTIN_NETWORKS}
        self.volumes = {v['Name'] for v in (api.volumes().get('Volumes') or [])}
        self.images = {i['Id'] for i in api.images(all=True)}

    def leftovers(self, engine):
        now = Snapshot(engine)
        return {
            'containers': now.containers - self.containers,
            'networks': now.networks - self.networks,
            'volumes': now.volumes - self.volumes,
            'images': now.images - self.images,
        }


def remove_new(engine, before):
    """Remove everything created since ``before``; return what was removed."""
    api = engine.api
    found = before.leftovers(engine)
    for cid in found['containers']:
        try:
            api.remove_container(cid, force=True, v=True)
        except docker.errors.NotFound:
            pass
    for nid in found['networks']:
        try:
            api.remove_network(nid)
        except docker.errors.NotFound:
            pass
    for name in found['volumes']:
        try:
            api.remove_volume(name, force=True)
        except docker.errors.NotFound:
            pass
    for iid in found['images']:
        try:
            api.remove_image(iid, force=True, noprune=False)
        except (docker.errors.NotFound, docker.errors.APIError):
            # A parent layer of another new image goes with its child.
            pass
    return found
