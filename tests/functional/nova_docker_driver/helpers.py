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

"""Shared pieces of the driver's tests: engine flags, Glance images, cleanup."""

import os
import uuid

os.environ.setdefault('OS_NOVA_DISABLE_EVENTLET_PATCHING', '1')

# Nova's functional package sets up its threading mode on import; it must
# come before anything that imports eventlet (futurist does).
import nova.tests.functional  # noqa: E402,F401
import fixtures  # noqa: E402

# Registers the [docker] options.
from nova_docker_driver import driver as docker_driver  # noqa: E402

from tests.rig import docker_engine  # noqa: E402

LABEL_HOST = 'org.openstack.nova.host'


class OneProcessDriver(docker_driver.DockerDriver):
    """The Docker driver with a compute-node uuid of its own per host.

    Nova keeps one local compute-node uuid per process (a file in
    state_path on a real host); several computes in one test process need
    one each, as several hosts have.
    """

    def _node_uuid(self):
        return str(uuid.uuid5(uuid.NAMESPACE_DNS, self._nodename))

    def get_nodenames_by_uuid(self, refresh=False):
        return {self._node_uuid(): self._nodename}

    def get_available_resource(self, nodename):
        return dict(super().get_available_resource(nodename),
                    uuid=self._node_uuid())


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
        # An engine restart re-creates its built-in networks with new ids.
        self.before.networks |= {
            n['Id'] for n in self.client.api.networks()
            if n['Name'] in docker_engine.BUILTIN_NETWORKS}
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


class EngineProxy:
    """A unix socket in front of the real engine, to stop it at one request.

    The driver under test talks to the engine through it. ``fail_on`` is a
    request fragment (``b'/start'``): the first request containing it is
    never passed on; the proxy drops every connection, stops listening and
    calls ``on_trip`` (a test stops the real engine there), then sets
    ``trip_done``. ``resume()`` listens again. Real Docker answers every
    request that passes.
    """

    def __init__(self, path, target, fail_on=None, on_trip=None):
        import socket
        import threading
        self.path, self.target, self.fail_on = path, target, fail_on
        self.on_trip = on_trip
        self._socket_mod = socket
        self._threading = threading
        self._conns = []
        self.tripped = threading.Event()
        self.trip_done = threading.Event()
        self._listen()

    def _listen(self):
        socket = self._socket_mod
        self._server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        if os.path.exists(self.path):
            os.unlink(self.path)
        self._server.bind(self.path)
        self._server.listen(64)
        self._threading.Thread(target=self._accept, args=(self._server,),
                               daemon=True).start()

    def endpoint(self):
        return 'unix://%s' % self.path

    def _accept(self, server):
        while True:
            try:
                client, _ = server.accept()
            except OSError:
                return
            upstream = self._socket_mod.socket(self._socket_mod.AF_UNIX)
            upstream.connect(self.target)
            self._conns += [client, upstream]
            for src, dst, check in ((client, upstream, True),
                                    (upstream, client, False)):
                self._threading.Thread(target=self._pipe,
                                       args=(src, dst, check),
                                       daemon=True).start()

    def _pipe(self, src, dst, check):
        while True:
            try:
                data = src.recv(65536)
            except OSError:
                data = b''
            if (data and check and self.fail_on and
                    not self.tripped.is_set() and self.fail_on in data):
                self.stop()
                try:
                    if self.on_trip is not None:
                        self.on_trip()
                finally:
                    self.trip_done.set()
                return
            if not data:
                for s in (src, dst):
                    try:
                        s.close()
                    except OSError:
                        pass
                return
            try:
                dst.sendall(data)
            except OSError:
                return

    def stop(self):
        self.tripped.set()
        try:
            self._server.close()
        finally:
            for s in self._conns:
                try:
                    s.shutdown(self._socket_mod.SHUT_RDWR)
                    s.close()
                except OSError:
                    pass
            self._conns = []
            if os.path.exists(self.path):
                os.unlink(self.path)

    def resume(self):
        self.fail_on = None
        self._listen()
