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

"""The slow parts of a container's lifecycle, run on the plugin's thread pool.

Each function takes an Engine and plain values, so it can run off Heat's
thread; each leaves nothing behind when it fails (a half-made container is
removed before the error goes up).
"""

import time

from oslo_config import cfg
from oslo_log import log as logging

from heat_plugin import docker_client
from heat_plugin import exception
from heat_plugin import tasks

LOG = logging.getLogger(__name__)
CONF = cfg.CONF


def ensure_image(engine, image, host):
    if engine.image_present(image):
        return
    if not CONF.heat_docker.pull_images:
        raise exception.InvalidProperty(
            field='image', reason='image %s is not on Docker host %s (and '
            'pull_images is off)' % (image, host))
    try:
        engine.pull(image)
    except exception.DockerPluginError as e:
        raise exception.InvalidProperty(
            field='image', reason='image %s is not on Docker host %s and '
            'could not be pulled: %s' % (image, host, e)) from None


def _move_predecessor(engine, name, labels):
    """Rename a container this very resource left under ``name``.

    Heat replaces a resource by creating the new one before deleting the
    old; a container with a fixed name would collide with its predecessor.
    Only a container with the same stack and resource labels is moved.
    """
    try:
        old = engine.inspect(name)
    except exception.NotFound:
        return False
    old_labels = old['Config'].get('Labels') or {}
    for key in (docker_client.LABEL_STACK, docker_client.LABEL_RESOURCE):
        if old_labels.get(key) != labels.get(key):
            return False
    engine.rename(old['Id'], '%s-replaced-%s' % (name, old['Id'][:8]))
    return True


def create_and_start(engine, host, create_kwargs, extra_networks):
    """Create, connect and start; returns (container id, monotonic start)."""
    ensure_image(engine, create_kwargs['image'], host)
    try:
        cid = engine.create_container(**create_kwargs)
    except exception.Conflict:
        if not _move_predecessor(engine, create_kwargs['name'],
                                 create_kwargs['labels']):
            raise
        cid = engine.create_container(**create_kwargs)
    try:
        for net, kwargs in extra_networks:
            engine.connect(net, cid, **{k: v for k, v in kwargs.items() if v})
        engine.start(cid)
    except Exception:
        remove_quietly(engine, cid)
        raise
    return cid, time.monotonic()


def remove_quietly(engine, cid):
    try:
        engine.remove(cid)
    except exception.NotFound:
        pass
    except exception.DockerPluginError as e:
        LOG.warning('Could not remove container %s after a failed create: '
                    '%s', cid, e)


def stop_and_remove(engine, target, stop_timeout, create_key=None):
    """Delete ``target`` (id or name); a missing container is fine."""
    if create_key:
        # A create still in flight would otherwise finish after us.
        tasks.wait(create_key)
    try:
        engine.stop(target, stop_timeout)
    except exception.NotFound:
        return
    except exception.DockerPluginError as e:
        LOG.info('Stopping %s before removal failed (%s); removing anyway',
                 target, e)
    try:
        engine.remove(target)
    except exception.NotFound:
        pass


def stop(engine, target, stop_timeout):
    engine.stop(target, stop_timeout)


def start(engine, target):
    engine.start(target)
    return time.monotonic()


def logs_tail(engine, target, lines):
    try:
        return engine.logs(target, tail=lines).rstrip('\n') or '(no output)'
    except exception.DockerPluginError as e:
        return '(logs unavailable: %s)' % e
