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

"""Containers that move to another host (cold migration, resize).

The container's filesystem travels through Glance as a hidden, private
image of the instance's project: the source commits the stopped container
and streams ``docker save`` of the commit into the image; the destination
streams the image's data into ``docker load``, deletes the image and creates
the container from what it loaded. Both ends already trust Glance and
Keystone (the request's token), so no compute-to-compute channel with its
own credentials is needed, and nothing is written to disk on the way but
the engines' own layers.

The instance's config-drive tree (a bind mount of the host, not part of the
container's filesystem) travels in the ``disk_info`` Nova hands from the
source to the destination.
"""

import base64
import json

from nova import exception as nova_exc
from nova.image import glance
from oslo_log import log as logging

from nova_docker_driver import exception
from nova_docker_driver import snapshot

LOG = logging.getLogger(__name__)

#: Engine repository of a moved container's image, tagged with the
#: instance uuid (on the source only while it is saved).
MOVE_REPOSITORY = 'nova-move'
#: Name prefix of the hidden Glance image that carries it.
IMAGE_PREFIX = 'nova-docker-move-'
#: What the source's disk_info says (a JSON object).
DISK_INFO_KIND = 'nova-docker-move/1'


def engine_ref(instance_uuid):
    return '%s:%s' % (MOVE_REPOSITORY, instance_uuid)


def disk_info(image_id, source_host, drive_files):
    """The JSON string the source hands the destination."""
    return json.dumps({
        'kind': DISK_INFO_KIND, 'image_id': image_id,
        'source_host': source_host,
        'config_drive': None if drive_files is None else [
            [path, base64.b64encode(data).decode(), mode]
            for path, data, mode in drive_files]})


def parse_disk_info(text):
    """The source's disk_info as a dict, or None for an in-place resize."""
    if not text:
        return None
    try:
        info = json.loads(text)
    except ValueError:
        return None
    if not isinstance(info, dict) or info.get('kind') != DISK_INFO_KIND:
        return None
    drive = info.get('config_drive')
    if drive is not None:
        info['config_drive'] = [(path, base64.b64decode(data), mode)
                                for path, data, mode in drive]
    return info


class MoveImages:
    """The hidden Glance images that carry containers between hosts."""

    def __init__(self, backend):
        self._backend = backend
        self._image_api = glance.API()

    def create(self, context, instance):
        """A queued, hidden, private image of the instance's project."""
        record = self._image_api.create(context, {
            'name': IMAGE_PREFIX + instance.uuid,
            'container_format': 'docker', 'disk_format': 'raw',
            'visibility': 'private', 'os_hidden': True,
            'owner': instance.project_id,
            'properties': {'nova_docker_move_of': instance.uuid}})
        LOG.info('Move image %s created', record['id'], instance=instance)
        return record['id']

    def upload(self, context, image_id, ref):
        """Stream ``docker save`` of ``ref`` into the image."""
        chunks = self._backend.save_image(ref)
        self._image_api.update(context, image_id, {},
                               data=snapshot.ChunkStream(chunks),
                               purge_props=False)

    def load(self, context, image_id, instance):
        """Stream the image's data into the engine; the loaded image id."""
        try:
            chunks = self._image_api.download(context, image_id)
        except nova_exc.NovaException as exc:
            raise exception.DockerImageError(image_id=image_id, reason=exc)
        if chunks is None:
            raise exception.ImageDataMissing(image_id=image_id)
        # Glance's chunks go to the engine as they come (chunked upload).
        loaded = self._backend.load_image(chunk for chunk in chunks)
        LOG.info('Move image %s loaded into the engine (%s)', image_id,
                 loaded[:19], instance=instance)
        return loaded

    def delete(self, context, image_id, instance=None):
        """Delete the image; a missing one is fine. Never raises."""
        if not image_id:
            return
        try:
            self._image_api.delete(context, image_id)
        except nova_exc.ImageNotFound:
            pass
        except Exception as exc:  # noqa: BLE001 - reported, the move goes on
            LOG.warning('Could not delete move image %s: %s', image_id, exc,
                        instance=instance)
