"""Shared pieces of the driver's tests: engine flags, Glance images, cleanup."""

import os

os.environ.setdefault('OS_NOVA_DISABLE_EVENTLET_PATCHING', '1')

# Nova's functional package sets up its threading mode on import; it must
# come before anything that imports eventlet (futurist does).
import nova.tests.functional  # noqa: E402,F401
import fixtures  # noqa: E402

# Registers the [docker] options.
from nova_docker_driver import driver as docker_driver  # noqa: E402,F401

from tests.rig import docker_engine  # noqa: E402

LABEL_HOST = 'org.openstack.nova.host'


class EngineCleanup(fixtures.Fixture):
    """Removes everything the test made on the engine, and reports it."""

    def _setUp(self):
        self.client = docker_engine.client()
        docker_engine.ensure_images(self.client)
        self.before = docker_engine.Snapshot(self.client)
        self.addCleanup(self._clean)

    def leftovers(self):
        return self.before.leftovers(self.client)

    def _clean(self):
        docker_engine.remove_new(self.client, self.before)
        self.client.close()


def allow_noload_warning():
    """Let Nova lazy-load instance.keypairs under SQLAlchemy 2.1.

    Nova's test WarningsFixture turns SQLAlchemy deprecation warnings raised
    from nova modules into errors; Nova 34's ``_build_instance_get`` uses
    ``noload()``, deprecated in SQLAlchemy 2.1 (pinned here), so loading
    ``instance.keypairs`` (as the metadata service does) fails only in tests.
    """
    import warnings

    from sqlalchemy import exc as sqla_exc
    warnings.filterwarnings('ignore', message='The noload',
                            category=sqla_exc.SADeprecationWarning)


def engine_flags(test, tmpdir):
    test.flags(endpoint=docker_engine.docker_host(), group='docker')
    test.flags(image_cache_dir=os.path.join(tmpdir, 'image-cache'),
               group='docker')
    test.flags(instances_dir=os.path.join(tmpdir, 'instances'),
               group='docker')


def engine_image(image_id, ref, name=None, **props):
    """A Glance record for an image already in the engine."""
    properties = {'docker_image': ref}
    properties.update(props)
    return {'id': image_id, 'name': name or ref, 'status': 'active',
            'container_format': 'docker', 'disk_format': 'raw',
            'min_ram': 0, 'min_disk': 0, 'visibility': 'public',
            'properties': properties}


def tarball_image(image_id, name='tarball', container_format='docker',
                  **props):
    """A Glance record whose data is a docker save tarball."""
    return {'id': image_id, 'name': name, 'status': 'active',
            'container_format': container_format, 'disk_format': 'raw',
            'min_ram': 0, 'min_disk': 0, 'visibility': 'public',
            'properties': dict(props)}


def save_image(client, ref):
    """Bytes of `docker save` of a local image (by id: no repo tags)."""
    return b''.join(client.api.get_image(ref))


def containers_for_host(client, host):
    return client.api.containers(
        all=True, filters={'label': '%s=%s' % (LABEL_HOST, host)})
