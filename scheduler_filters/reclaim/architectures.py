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

"""Which pools' hosts can run a failed server's image, for one cycle.

Reclaiming in a pool whose hosts cannot run the owner's image frees
nothing the owner can use (ArchitectureFilter would still refuse them), so
demand counts only where some host runs one of the image's architectures,
natively or emulated. What the cloud cannot tell (an image without
architecture properties, a host without a known architecture, an image it
cannot read) counts as "may run", as before architectures were looked at.
"""

import logging

LOG = logging.getLogger(__name__)


class Lookups:
    """The cloud's answers, asked lazily and at most once per cycle."""

    def __init__(self, cloud):
        self.cloud = cloud
        self._images = {}
        self._emulated = None

    def image(self, image_id):
        if not image_id:
            return None
        if image_id not in self._images:
            try:
                self._images[image_id] = self.cloud.image_architectures(
                    image_id)
            except Exception as e:
                LOG.warning('cannot read the architectures of image %s '
                            '(%s): its demand counts in every pool',
                            image_id, e)
                self._images[image_id] = None
        return self._images[image_id]

    def emulated(self):
        if self._emulated is None:
            try:
                self._emulated = self.cloud.emulated_architectures()
            except Exception as e:
                LOG.warning('cannot read which hosts emulate which '
                            'architectures (%s): none counted', e)
                self._emulated = {}
        return self._emulated

    def can_run(self, image_id, hosts):
        """Whether one of ``hosts`` (the cloud's host dicts) may run the
        image."""
        wanted = self.image(image_id)
        if wanted is None:
            return True
        for h in hosts:
            native = h.get('architectures')
            if native is None or native & wanted:
                return True
        return any(self.emulated().get(h['name'], frozenset()) & wanted
                   for h in hosts)
