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

"""Instance snapshots: docker commit, then docker save streamed into Glance.

The image is stored as container_format ``docker``, disk_format ``raw``, so
it boots again through this driver. A stopped container is committed as it
is (Nova allows snapshots of stopped instances); a running one is paused for
the commit so its filesystem is consistent.
"""

from nova.compute import task_states
from nova.image import glance
from oslo_log import log as logging

from nova_docker_driver import images

LOG = logging.getLogger(__name__)

SNAPSHOT_REPOSITORY = 'nova-snapshot'


class Snapshotter:

    def __init__(self, backend, conf):
        self._backend = backend
        self._conf = conf
        self._image_api = glance.API()

    def take(self, context, instance, container_id, image_id,
             update_task_state):
        update_task_state(task_state=task_states.IMAGE_PENDING_UPLOAD)
        committed = self._backend.commit(container_id, SNAPSHOT_REPOSITORY,
                                         image_id)
        ref = '%s:%s' % (SNAPSHOT_REPOSITORY, image_id)
        try:
            update_task_state(
                task_state=task_states.IMAGE_UPLOADING,
                expected_state=task_states.IMAGE_PENDING_UPLOAD)
            metadata = self._metadata(context, instance, image_id)
            # purge_props: the snapshot must not inherit docker_image from
            # the base image, or it would boot the base image again.
            self._image_api.update(context, image_id, metadata,
                                   data=ChunkStream(self._backend.save_image(ref)),
                                   purge_props=True)
            LOG.info('Snapshot %s of the container uploaded as image %s',
                     committed[:19], image_id, instance=instance)
        finally:
            # Glance holds the snapshot now; the engine keeps no copy.
            self._backend.remove_image(ref)

    def _metadata(self, context, instance, image_id):
        record = self._image_api.get(context, image_id)
        props = dict(record.get('properties') or {})
        props.pop(images.ENGINE_REF_PROPERTY, None)
        base = instance.image_meta.properties
        if base.get('os_command_line'):
            props['os_command_line'] = base.os_command_line
        props.update({'image_location': 'snapshot',
                      'image_state': 'available',
                      'owner_id': instance.project_id})
        return {'name': record.get('name'), 'container_format': 'docker',
                'disk_format': 'raw', 'properties': props}


class ChunkStream:
    """A file-like wrapper over chunks, as Glance uploads and the engine's
    load want. ``read(n)`` hands out at most ``n`` bytes of the current
    chunk (a short read, as a socket's): no buffer is copied again for
    every read, which for a 100 MB container would be gigabytes."""

    def __init__(self, chunks):
        self._chunks = iter(chunks)
        self._buf = b''
        self._pos = 0

    def __iter__(self):
        if self._pos < len(self._buf):
            yield self._buf[self._pos:]
        self._buf, self._pos = b'', 0
        yield from self._chunks

    def read(self, size=-1):
        if size is None or size < 0:
            data = self._buf[self._pos:] + b''.join(self._chunks)
            self._buf, self._pos = b'', 0
            return data
        while self._pos >= len(self._buf):
            try:
                self._buf, self._pos = next(self._chunks), 0
            except StopIteration:
                self._buf, self._pos = b'', 0
                return b''
        data = self._buf[self._pos:self._pos + size]
        self._pos += len(data)
        return data
