"""Images: docker save tarballs from Glance (loaded once, cached by image id),
images already in the engine, and bad images that fail cleanly."""

import io
import json
import tarfile
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


class TestImages(base.DockerCloudTestCase):

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
