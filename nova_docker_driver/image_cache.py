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

"""Sweeping the engine's cache of images loaded from Glance.

Nova's image cache manager (``[image_cache] manager_interval``) hands the
driver the instances of this host. A cache tag (``<[docker]
image_repository>:<glance id>``) goes when no container in the engine uses
its image, no instance of the host boots from it, and both have held for
``[image_cache] remove_unused_original_minimum_age_seconds`` as seen by
this process (the clock restarts with nova-compute, which only keeps
images longer). ``[image_cache] remove_unused_base_images = false`` keeps
everything. Only the tag is removed: layers shared with other images stay.
"""

import time

from oslo_log import log as logging

from nova_docker_driver import exception

LOG = logging.getLogger(__name__)

# A tag a boot resolved this recently may be about to be created from
# (resolve and create are two engine calls), whatever the age setting.
RESOLVE_GRACE_S = 60.0


class CacheSweeper:

    def __init__(self, backend, loader, conf):
        self._backend = backend
        self._loader = loader
        self._conf = conf
        self._unused_since = {}

    def sweep(self, instances, now=None):
        """Remove unused cache tags; the Glance ids of those removed."""
        image_cache = self._conf.image_cache
        if not image_cache.remove_unused_base_images:
            return []
        now = time.monotonic() if now is None else now
        wanted = {getattr(i, 'image_ref', None) for i in instances or ()}
        tags = self._backend.repository_tags(
            self._conf.docker.image_repository)
        in_use = self._backend.image_ids_in_use()
        min_age = image_cache.remove_unused_original_minimum_age_seconds
        removed = []
        for glance_id, engine_id in sorted(tags.items()):
            if engine_id in in_use or glance_id in wanted:
                self._unused_since.pop(glance_id, None)
                continue
            since = self._unused_since.setdefault(glance_id, now)
            if now - since < min_age or self._resolved_recently(glance_id,
                                                                now):
                continue
            with self._loader.image_lock(glance_id):
                if self._resolved_recently(glance_id, now):
                    continue
                try:
                    self._backend.remove_image(
                        self._loader.cache_ref(glance_id))
                except exception.DockerDriverError as exc:
                    # A container created meanwhile holds it: next pass.
                    LOG.info('Cached image %s kept: %s', glance_id, exc)
                    continue
            self._unused_since.pop(glance_id, None)
            removed.append(glance_id)
        for gone in set(self._unused_since) - set(tags):
            del self._unused_since[gone]
        if removed:
            LOG.info('Removed %d unused cached image(s): %s', len(removed),
                     ', '.join(removed))
        return removed

    def _resolved_recently(self, glance_id, now):
        at = self._loader.last_resolved(glance_id)
        return at is not None and now - at < RESOLVE_GRACE_S
