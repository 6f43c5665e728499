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

"""Glance images to engine images.

An instance boots from a Glance image whose container_format is ``docker``:
- with a ``docker_image`` property naming an image already in the engine
  (for example one built locally), that image is used as it is;
- otherwise the image data, a ``docker save`` tarball, is downloaded once,
  loaded and tagged ``<[docker] image_repository>:<glance image id>``; that
  tag is the cache, so later boots of the same image load nothing.

Tarballs are loaded with their repository tags removed: a tenant's tarball
must not be able to re-point a tag in the engine (say ``dos/idle:latest``)
at its own content.
"""

import contextlib
import io
import json
import os
import tarfile
import tempfile
import threading
import time

from nova.image import glance
from oslo_log import log as logging

from nova_docker_driver import exception

LOG = logging.getLogger(__name__)

DOCKER_FORMAT = 'docker'
ENGINE_REF_PROPERTY = 'docker_image'
# Nova keeps an instance's image properties in its system metadata.
SYSMETA_PREFIX = 'image_'


class ImageLoader:

    def __init__(self, backend, conf):
        self._backend = backend
        self._conf = conf
        self._image_api = glance.API()
        self._locks = {}
        self._locks_guard = threading.Lock()
        self._resolved_at = {}

    @contextlib.contextmanager
    def image_lock(self, image_id):
        with self._locks_guard:
            lock = self._locks.setdefault(image_id, threading.Lock())
        with lock:
            yield

    def cache_ref(self, image_id):
        return '%s:%s' % (self._conf.docker.image_repository, image_id)

    def glance_image(self, context, image_id):
        """The raw Glance record (custom properties included)."""
        return self._image_api.get(context, image_id)

    def resolve(self, context, image_meta, instance=None):
        """The engine reference to create the instance's container from.

        With ``instance``, what Nova already read from Glance when it took
        the request (the container format in ``image_meta``, the image's
        own properties in the instance's system metadata) stands in for a
        second Glance read: a boot of a cached image makes no Glance call,
        as Nova's other drivers boot cached images. An image not cached yet
        is read from Glance and downloaded all the same (what Nova kept may
        lack properties: instances made outside its API).
        """
        known = _known_record(image_meta, instance)
        if known is not None:
            ref = self._resolve(context, image_meta.id, known, load=False)[0]
            if ref is not None:
                return ref
        return self._resolve(context, image_meta.id)[0]

    def precache(self, context, image_id):
        """Get a Glance image into the engine ahead of boots (Nova's image
        pre-caching); True when it was loaded now, False when it was there."""
        return self._resolve(context, image_id)[1]

    def last_resolved(self, image_id):
        """When (time.monotonic) a boot last asked for the image, or None."""
        return self._resolved_at.get(image_id)

    def _resolve(self, context, image_id, record=None, load=True):
        """(engine reference, loaded now); (None, False) when the image is
        not in the engine and ``load`` is false."""
        if record is None:
            record = self.glance_image(context, image_id)
        fmt = record.get('container_format')
        if fmt != DOCKER_FORMAT:
            raise exception.WrongContainerFormat(image_id=image_id,
                                                 container_format=fmt)
        props = record.get('properties') or {}
        ref = props.get(ENGINE_REF_PROPERTY)
        if ref:
            return self._engine_image(image_id, ref), False
        with self.image_lock(image_id):
            # Read by the cache sweeper: a tag resolved a moment ago is
            # about to be created from, unused as it may look.
            self._resolved_at[image_id] = time.monotonic()
            cached = self.cache_ref(image_id)
            if self._backend.image_id(cached):
                return cached, False
            if not load:
                return None, False
            self._load_from_glance(context, image_id, cached)
            return cached, True

    def _engine_image(self, image_id, ref):
        # Images loaded from Glance are reached through Glance only, so its
        # visibility rules hold: no property may name them directly.
        if ref.split(':', 1)[0] == self._conf.docker.image_repository:
            raise exception.DockerImageError(
                image_id=image_id,
                reason='docker_image may not name %s images' %
                self._conf.docker.image_repository)
        if not self._backend.image_id(ref):
            raise exception.EngineImageMissing(image_id=image_id, ref=ref)
        return ref

    def _staging_dir(self):
        path = self._conf.docker.image_cache_dir
        os.makedirs(path, exist_ok=True)
        return path

    def _load_from_glance(self, context, image_id, cached):
        staging = tempfile.mkdtemp(prefix='glance-', dir=self._staging_dir())
        raw = os.path.join(staging, 'image.tar')
        clean = os.path.join(staging, 'clean.tar')
        try:
            LOG.info('Downloading image %s from Glance', image_id)
            self._image_api.download(context, image_id, dest_path=raw)
            if not os.path.exists(raw) or os.path.getsize(raw) == 0:
                raise exception.ImageDataMissing(image_id=image_id)
            strip_repo_tags(image_id, raw, clean)
            with open(clean, 'rb') as f:
                try:
                    loaded = self._backend.load_image(f)
                except exception.EngineError as exc:
                    raise exception.CorruptImageTarball(image_id=image_id,
                                                        reason=exc)
            self._backend.tag_image(loaded, *cached.split(':', 1))
            LOG.info('Loaded image %s into the engine as %s (%s)',
                     image_id, cached, loaded)
        finally:
            for path in (raw, clean):
                if os.path.exists(path):
                    os.unlink(path)
            os.rmdir(staging)


def _known_record(image_meta, instance):
    """The Glance record's fields this module reads, from what Nova keeps
    of the instance's image; None when it does not describe this image."""
    if instance is None or not image_meta.obj_attr_is_set('id'):
        return None
    fmt = (image_meta.container_format
           if image_meta.obj_attr_is_set('container_format') else None)
    if not fmt or instance.image_ref != image_meta.id:
        return None
    sysmeta = instance.system_metadata or {}
    props = {key[len(SYSMETA_PREFIX):]: value
             for key, value in sysmeta.items()
             if key.startswith(SYSMETA_PREFIX)}
    return {'container_format': fmt, 'properties': props}


def strip_repo_tags(image_id, src, dst):
    """Copy a ``docker save`` tarball without its repository tags."""
    try:
        with tarfile.open(src) as tar_in:
            members = tar_in.getmembers()
            names = {m.name for m in members}
            if 'manifest.json' not in names:
                raise exception.CorruptImageTarball(
                    image_id=image_id, reason='no manifest.json in it')
            manifest = json.load(tar_in.extractfile('manifest.json'))
            if not isinstance(manifest, list) or not manifest:
                raise exception.CorruptImageTarball(
                    image_id=image_id, reason='manifest.json lists no image')
            for entry in manifest:
                if not isinstance(entry, dict) or 'Config' not in entry:
                    raise exception.CorruptImageTarball(
                        image_id=image_id,
                        reason='manifest.json entry without Config')
                entry['RepoTags'] = None
            with tarfile.open(dst, 'w') as tar_out:
                for member in members:
                    if member.name in ('manifest.json', 'repositories'):
                        continue
                    data = (tar_in.extractfile(member)
                            if member.isfile() else None)
                    tar_out.addfile(member, data)
                body = json.dumps(manifest).encode()
                info = tarfile.TarInfo('manifest.json')
                info.size = len(body)
                tar_out.addfile(info, io.BytesIO(body))
    except (tarfile.TarError, EOFError, ValueError, KeyError) as exc:
        raise exception.CorruptImageTarball(image_id=image_id, reason=exc)
