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

"""Images: docker save tarballs from Glance (loaded once, cached by image id),
images already in the engine, and bad images that fail cleanly."""

import io
import json
import tarfile
import time
import uuid

import pytest

from tests.functional.nova_docker_driver import base
from tests.functional.nova_docker_driver import helpers


def _retag_tarball(data, repo_tag):
    """The same tarball with its manifest claiming ``repo_tag``."""
    src = tarfile.open(fileobj=io.BytesIO(data))
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode='w') as dst:
        for member in src.getmembers():
            body = src.extractfile(member) if member.isfile() else None
            if member.name == 'manifest.json':
                manifest = json.load(body)
                manifest[0]['RepoTags'] = [repo_tag]
                raw = json.dumps(manifest).encode()
                member.size = len(raw)
                body = io.BytesIO(raw)
            dst.addfile(member, body)
    return out.getvalue()


class _ImagesBase(base.DockerCloudTestCase):

    def setUp(self):
        super().setUp()
        self.addCleanup(self._untag_cache)

    def _untag_cache(self):
        # Loading an image the engine already has only adds a tag; the
        # engine cleanup removes new images, so drop the tags here.
        for image in self.docker.api.images():
            for tag in image.get('RepoTags') or []:
                if tag.startswith('nova-glance:'):
                    self.docker.api.remove_image(tag, force=True)

    def _new_image_tarball(self, marker):
        """A docker save tarball of an image the engine does not keep."""
        c = self.docker.containers.create(
            'dos/busybox:latest', ['sh', '-c', 'echo %s > /marker' % marker])
        c.start()
        c.wait(timeout=30)
        image = c.commit(changes=['CMD ["sleep", "3600"]'])
        c.remove()
        data = helpers.save_image(self.docker, image.id)
        self.docker.api.remove_image(image.id)
        return image.id, data


class TestImages(_ImagesBase):

    def test_boot_from_glance_tarball_loads_once(self):
        image_ref, data = self._new_image_tarball('from-glance')
        image_id = self._add_tarball_image(str(uuid.uuid4()), data)
        loads = []
        real_load = self.driver.backend.load_image
        self.driver.backend.load_image = lambda f: (loads.append(1),
                                                    real_load(f))[1]
        first = self._boot(image=image_id)
        self.assertEqual('from-glance',
                         self._read(first, '/marker'))
        self.assertEqual(image_ref,
                         self.docker.api.inspect_image(
                             'nova-glance:%s' % image_id)['Id'])
        second = self._boot(image=image_id)
        self.assertEqual('from-glance', self._read(second, '/marker'))
        self.assertEqual(1, len(loads), 'the cached image was loaded again')
        # No staged tarball stays on disk.
        import os
        cache = os.path.join(self.tmp, 'image-cache')
        self.assertEqual([], os.listdir(cache))

    def test_a_boot_of_a_cached_image_asks_glance_nothing(self):
        # Nova read the image when it took the request; the driver uses
        # that (format, properties) and the cached tag, as Nova's other
        # drivers boot cached images without going back to Glance.
        _ref, data = self._new_image_tarball('cached')
        image_id = self._add_tarball_image(str(uuid.uuid4()), data)
        self._boot(image=image_id)
        asked = []
        real_get = self.driver._images.glance_image
        self.driver._images.glance_image = lambda ctx, iid: (
            asked.append(iid), real_get(ctx, iid))[1]
        second = self._boot(image=image_id)
        self.assertEqual('cached', self._read(second, '/marker'))
        self.assertEqual([], asked)
        # An engine image named by the docker_image property is found the
        # same way, from the properties Nova kept.
        engine_image = self._boot(image=base.IDLE_IMAGE)
        self.assertTrue(self._container(engine_image)['State']['Running'])
        self.assertEqual([], asked)

    @pytest.mark.slow
    def test_tarball_cannot_retag_engine_images(self):
        victim = 'nova-test-victim:latest'
        self.docker.api.tag('dos/busybox:latest', 'nova-test-victim',
                            'latest')
        self.addCleanup(self.docker.api.remove_image, victim, force=True)
        before = self.docker.api.inspect_image(victim)['Id']
        image_ref, data = self._new_image_tarball('intruder')
        image_id = self._add_tarball_image(
            str(uuid.uuid4()), _retag_tarball(data, victim))
        server = self._boot(image=image_id)
        self.assertEqual('intruder', self._read(server, '/marker'))
        self.assertEqual(before, self.docker.api.inspect_image(victim)['Id'])

    def _assert_clean_error(self, image_id, *words):
        images_before = {i['Id']: i.get('RepoTags')
                         for i in self.docker.api.images()}
        server = self._boot(image=image_id, expected_state='ERROR')
        fault = self._fault(server)
        for word in words:
            self.assertIn(word, fault)
        self.assertEqual([], self._containers(server))
        self.assertEqual(images_before, {i['Id']: i.get('RepoTags')
                                         for i in self.docker.api.images()})
        self._delete_server(server)
        return fault

    def test_wrong_container_format(self):
        image_id = self._add_tarball_image(
            str(uuid.uuid4()), b'whatever', container_format='bare')
        self._assert_clean_error(image_id, image_id, "container_format",
                                 "'bare'")

    def test_corrupt_tarball(self):
        _ref, data = self._new_image_tarball('corrupt')
        for bad in (b'this is not a tar file' * 100, data[:len(data) // 2]):
            image_id = self._add_tarball_image(str(uuid.uuid4()), bad)
            self._assert_clean_error(image_id, image_id,
                                     'not a `docker save` tarball')

    def test_tarball_without_manifest(self):
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode='w') as tar:
            info = tarfile.TarInfo('hello.txt')
            info.size = 2
            tar.addfile(info, io.BytesIO(b'hi'))
        image_id = self._add_tarball_image(str(uuid.uuid4()), buf.getvalue())
        self._assert_clean_error(image_id, 'no manifest.json')

    def test_missing_engine_image(self):
        image_id = str(uuid.uuid4())
        self.glance.create(None, helpers.engine_image(
            image_id, 'dos/not-here:latest'))
        self._assert_clean_error(image_id, "'dos/not-here:latest'",
                                 'not in the Docker engine')

    def test_image_without_data(self):
        image_id = self._add_tarball_image(str(uuid.uuid4()), b'')
        self._assert_clean_error(image_id, 'has no data')


class TestImageCache(_ImagesBase):
    """Nova's image cache: the periodic sweep of unused images and the
    aggregate image pre-caching API."""

    def _cached(self, image_id):
        return self.driver.backend.image_id('nova-glance:%s' % image_id)

    def _instances(self):
        from nova import context as nova_context
        from nova import objects
        return objects.InstanceList.get_by_filters(
            nova_context.get_admin_context(), {'deleted': False})

    def test_nova_periodic_pass_sweeps_only_unused_images(self):
        from nova import context as nova_context
        from nova_docker_driver import image_cache
        self.flags(remove_unused_original_minimum_age_seconds=0,
                   group='image_cache')
        # No boot is under way here: the resolve grace can go.
        self.useFixture(helpers.fixtures.MonkeyPatch(
            'nova_docker_driver.image_cache.RESOLVE_GRACE_S', 0))
        self.assertEqual(0, image_cache.RESOLVE_GRACE_S)
        _ref, data = self._new_image_tarball('kept')
        kept_id = self._add_tarball_image(str(uuid.uuid4()), data)
        _ref, data = self._new_image_tarball('swept')
        swept_id = self._add_tarball_image(str(uuid.uuid4()), data)
        kept = self._boot(image=kept_id)
        gone = self._boot(image=swept_id)
        self._delete_server(gone)
        # Stopped is still in use: its container holds the image.
        self._stop_server(kept)
        manager = self.computes['compute1'].manager
        manager._run_image_cache_manager_pass(
            nova_context.get_admin_context())
        self.assertIsNotNone(self._cached(kept_id))
        self.assertIsNone(self._cached(swept_id))
        # Engine images the cache did not load are never touched.
        self.assertIsNotNone(self.driver.backend.image_id('dos/idle:latest'))

    def test_unused_image_goes_only_after_the_minimum_age(self):
        self.flags(remove_unused_original_minimum_age_seconds=3600,
                   group='image_cache')
        _ref, data = self._new_image_tarball('aged')
        image_id = self._add_tarball_image(str(uuid.uuid4()), data)
        server = self._boot(image=image_id)
        sweeper = self.driver._cache_sweeper
        # Past the resolve grace of the boot above.
        t0 = time.monotonic() + 120
        self.assertEqual([], sweeper.sweep(self._instances(), now=t0))
        self._delete_server(server)
        self.assertEqual([], sweeper.sweep(self._instances(), now=t0 + 1))
        self.assertEqual([], sweeper.sweep(self._instances(), now=t0 + 3600))
        self.assertIsNotNone(self._cached(image_id))
        self.flags(remove_unused_base_images=False, group='image_cache')
        self.assertEqual([], sweeper.sweep(self._instances(), now=t0 + 3602))
        self.flags(remove_unused_base_images=True, group='image_cache')
        self.assertEqual([image_id],
                         sweeper.sweep(self._instances(), now=t0 + 3602))
        self.assertIsNone(self._cached(image_id))

    def test_a_tag_resolved_for_a_boot_is_not_swept_under_it(self):
        self.flags(remove_unused_original_minimum_age_seconds=0,
                   group='image_cache')
        _ref, data = self._new_image_tarball('racing')
        image_id = self._add_tarball_image(str(uuid.uuid4()), data)
        from nova import context as nova_context
        ctx = nova_context.get_admin_context()
        self.assertTrue(self.driver.cache_image(ctx, image_id))
        # A boot resolved the tag and has not created its container yet.
        self.driver._images.precache(ctx, image_id)
        self.assertEqual([], self.driver._cache_sweeper.sweep([]))
        self.assertIsNotNone(self._cached(image_id))

    def test_aggregate_image_cache_api_loads_before_any_boot(self):
        _ref, data = self._new_image_tarball('precached')
        image_id = self._add_tarball_image(str(uuid.uuid4()), data)
        agg = self.admin_api.post_aggregate(
            {'aggregate': {'name': 'docker-hosts'}})
        self.admin_api.add_host_to_aggregate(agg['id'], 'compute1')
        self.admin_api.microversion = '2.81'
        self.admin_api.api_post('/os-aggregates/%s/images' % agg['id'],
                                {'cache': [{'id': image_id}]},
                                check_response_status=[202])
        self._wait(lambda: self._cached(image_id), timeout=60,
                   what='the image in the engine cache')
        loads = []
        real_load = self.driver.backend.load_image
        self.driver.backend.load_image = lambda f: (loads.append(1),
                                                    real_load(f))[1]
        server = self._boot(image=image_id)
        self.assertEqual('precached', self._read(server, '/marker'))
        self.assertEqual([], loads, 'the pre-cached image was loaded again')
        # Asking again finds it cached.
        from nova import context as nova_context
        self.assertFalse(self.driver.cache_image(
            nova_context.get_admin_context(), image_id))
