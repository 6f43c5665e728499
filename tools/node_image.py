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

"""Build the Docker-in-Docker node image for swarm-mode bays, without a registry.

``debootstrap --variant=minbase --include=docker.io,iptables bookworm`` into a
folder under ``$DOS_STATE``, then ``docker import`` of that folder as
``dos/bay-node:latest``. The image is labelled with a digest of its inputs
(suite, packages, mirror, builder version); when the engine already holds an
image with that label, nothing is rebuilt. The root filesystem tarball is also
kept under ``$DOS_STATE/cache`` so that a fresh engine only re-imports it
(seconds) instead of running debootstrap again (about a minute).

``dos/bay-node:v2`` is the same root filesystem with one more label: the
"new node image" that rolling-upgrade tests and the benchmark move a bay to.

Run as ``python tools/node_image.py`` (``make images`` calls it too).
"""

import hashlib
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile

import docker

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LABEL = 'org.docker-on-openstack.content'
REPOSITORY = 'dos/bay-node'
REF = REPOSITORY + ':latest'
REF_V2 = REPOSITORY + ':v2'
SUITE = 'bookworm'
MIRROR = 'http://deb.debian.org/debian'
PACKAGES = ('docker.io', 'iptables', 'ca-certificates', 'procps')
# Bump when the way the rootfs is made changes.
VERSION = 'node-v1'


def state_dir():
    return os.environ.get('DOS_STATE') or os.path.join(ROOT, '.state')


def digest():
    text = '\0'.join((VERSION, SUITE, MIRROR) + PACKAGES)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _label_of(client, ref):
    try:
        return (client.images.get(ref).labels or {}).get(LABEL)
    except docker.errors.ImageNotFound:
        return None


def _debootstrap(tarball):
    """Make the rootfs tarball (the slow part, about a minute)."""
    work = tempfile.mkdtemp(prefix='bay-node-', dir=state_dir())
    rootfs = os.path.join(work, 'rootfs')
    try:
        subprocess.run(
            ['debootstrap', '--variant=minbase',
             '--include=%s' % ','.join(PACKAGES), SUITE, rootfs, MIRROR],
            check=True, stdout=subprocess.DEVNULL)
        # Package caches only make the image bigger.
        for sub in ('var/cache/apt/archives', 'var/lib/apt/lists'):
            path = os.path.join(rootfs, sub)
            for name in os.listdir(path):
                full = os.path.join(path, name)
                if os.path.isfile(full):
                    os.unlink(full)
        partial = tarball + '.part'
        subprocess.run(['tar', '-C', rootfs, '--numeric-owner', '-cf',
                        partial, '.'], check=True)
        os.replace(partial, tarball)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _import(client, tarball, tag, content):
    changes = ['LABEL %s=%s' % (LABEL, content),
               'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
               'CMD ["/bin/sh"]']
    with open(tarball, 'rb') as f:
        client.api.import_image_from_data(
            f, repository=REPOSITORY, tag=tag, changes=changes)


def build(client=None, log=print):
    """Make sure ``dos/bay-node:latest`` and ``:v2`` exist; return what was done."""
    client = client or docker.from_env(timeout=600)
    content = digest()
    done = {}
    if _label_of(client, REF) != content:
        cache = os.path.join(state_dir(), 'cache')
        os.makedirs(cache, exist_ok=True)
        tarball = os.path.join(cache, 'bay-node-%s.tar' % content)
        if not os.path.exists(tarball):
            log('node image: debootstrap %s with %s (about a minute)'
                % (SUITE, ','.join(PACKAGES)))
            _debootstrap(tarball)
            done[REF] = 'built'
        else:
            done[REF] = 'imported from cache'
        _import(client, tarball, 'latest', content)
    else:
        done[REF] = 'cached'
    content_v2 = content + '-v2'
    if _label_of(client, REF_V2) != content_v2:
        _tag_v2(client, content_v2)
        done[REF_V2] = 'built'
    else:
        done[REF_V2] = 'cached'
    return done


def _sibling(name):
    """A script beside this one (tools/ is not a package), however this one
    was imported: the test rig imports it with tools/ on sys.path only
    for the import itself."""
    if name in sys.modules:
        return sys.modules[name]
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                        name + '.py')
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _tag_v2(client, content_v2):
    """A second image id on the same layers: cheap, and a real image change."""
    _sibling('build_images').build_dockerfile(
        client, REF_V2, 'FROM %s\nLABEL %s=%s\n' % (REF, LABEL, content_v2))


def main():
    if not os.environ.get('DOCKER_HOST'):
        sys.exit('DOCKER_HOST is not set; run through make')
    print('node image: ' + json.dumps(build()))


if __name__ == '__main__':
    main()
