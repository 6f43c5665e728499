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

"""Build the small local images the tests and the demo need, without a registry.

Every image is tagged ``dos/<name>:latest`` and labelled with a digest of the
inputs it was built from; when an image with the same digest is already in the
engine, nothing is rebuilt, so a re-run costs one inspect per image.

- ``dos/busybox``: a root filesystem of Debian's static busybox, imported.
- ``dos/idle``: busybox that stays up and exits at once on SIGTERM.
- ``dos/httpd``: busybox httpd serving /www on port 8080.
- ``dos/exit-fail``: prints a message on stderr and exits with code 3.
- ``dos/release-1``, ``dos/release-2``: httpd serving their name, with a
  HEALTHCHECK of GET /healthz, stopping at once on SIGTERM;
  ``dos/release-bad`` has no /healthz, so its containers turn unhealthy.
"""

import hashlib
import io
import json
import os
import sys
import tarfile

import docker

BUSYBOX = '/bin/busybox'
LABEL = 'org.docker-on-openstack.content'

# Applets linked into the busybox image; the ones the tests and images use.
# wget is left out on purpose: Debian's static busybox wget segfaults in a
# container (static glibc resolver); use ``nc`` for HTTP probes.
APPLETS = ('sh', 'ash', 'cat', 'echo', 'ls', 'sleep', 'httpd', 'ip',
           'ifconfig', 'route', 'ps', 'top', 'id', 'hostname', 'env', 'mkdir',
           'rm', 'touch', 'tail', 'head', 'grep', 'sed', 'awk', 'true',
           'false', 'mount', 'df', 'du', 'nc', 'ping', 'kill', 'date',
           'uname', 'whoami', 'wc', 'cut', 'tr', 'chmod', 'chown', 'ln',
           'cp', 'mv', 'find', 'xargs', 'test', 'printf', 'sort', 'uniq',
           'md5sum', 'sha256sum', 'stat', 'dd', 'seq', 'nproc', 'free',
           'adduser', 'addgroup', 'su', 'vi', 'tee', 'basename', 'dirname',
           'nslookup')

DERIVED = {
    'idle': '''FROM dos/busybox:latest
CMD ["sh", "-c", "trap 'exit 0' TERM INT; while :; do sleep 1 & wait $!; done"]
''',
    'httpd': '''FROM dos/busybox:latest
RUN mkdir -p /www && echo 'hello from docker-on-openstack' > /www/index.html
EXPOSE 8080
CMD ["httpd", "-f", "-v", "-p", "8080", "-h", "/www"]
''',
    'exit-fail': '''FROM dos/busybox:latest
CMD ["sh", "-c", "echo 'exit-fail: failing on purpose' >&2; exit 3"]
''',
}

# Releases of a web service for rolling updates: each serves its name on
# port 8080 and declares a health check of GET /healthz, which release-bad
# lacks (so its containers run, answer /, and turn unhealthy).
RELEASE = '''FROM dos/httpd:latest
RUN echo '%(name)s' > /www/index.html%(healthz)s
# Unlike dos/httpd, it stops at once on SIGTERM (a replaced member goes
# without waiting for the stop timeout).
CMD ["sh", "-c", "trap 'exit 0' TERM INT; httpd -f -v -p 8080 -h /www & wait $!"]
HEALTHCHECK --interval=0.5s --timeout=3s --retries=2 CMD ["sh", "-c", \
  "printf 'GET /healthz HTTP/1.0\\r\\n\\r\\n' | nc 127.0.0.1 8080 \
   | grep -q '200 OK' || { echo 'GET /healthz: not 200 OK'; exit 1; }"]
'''
for _name, _healthz in (('release-1', True), ('release-2', True),
                        ('release-bad', False)):
    DERIVED[_name] = RELEASE % {
        'name': _name,
        'healthz': ' && echo ok > /www/healthz' if _healthz else ''}


def _digest(*parts):
    h = hashlib.sha256()
    for part in parts:
        h.update(part if isinstance(part, bytes) else part.encode())
        h.update(b'\0')
    return h.hexdigest()[:32]


def _current(client, ref):
    try:
        image = client.images.get(ref)
    except docker.errors.ImageNotFound:
        return None
    return (image.labels or {}).get(LABEL)


def _busybox_rootfs():
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode='w') as tar:
        for d in ('bin', 'etc', 'tmp', 'root', 'proc', 'sys', 'dev', 'var',
                  'home', 'run'):
            info = tarfile.TarInfo(d)
            info.type = tarfile.DIRTYPE
            info.mode = 0o1777 if d == 'tmp' else 0o755
            tar.addfile(info)
        tar.add(BUSYBOX, arcname='bin/busybox')
        for applet in APPLETS:
            info = tarfile.TarInfo('bin/%s' % applet)
            info.type = tarfile.SYMTYPE
            info.linkname = 'busybox'
            tar.addfile(info)
        for name, text in (('etc/passwd', 'root:x:0:0:root:/root:/bin/sh\n'
                            'nobody:x:65534:65534:nobody:/:/bin/false\n'),
                           ('etc/group', 'root:x:0:\nnogroup:x:65534:\n')):
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def build_busybox(client):
    with open(BUSYBOX, 'rb') as f:
        digest = _digest(f.read(), ' '.join(APPLETS), 'v1')
    ref = 'dos/busybox:latest'
    if _current(client, ref) == digest:
        return ref, digest, False
    rootfs = _busybox_rootfs()
    changes = ['LABEL %s=%s' % (LABEL, digest), 'CMD ["sh"]',
               'ENV PATH=/bin']
    # The SDK's import_image sends the tarball as the request body.
    client.api.import_image_from_data(rootfs, repository='dos/busybox',
                                      tag='latest', changes=changes)
    return ref, digest, True


def build_derived(client, name, dockerfile, base_digest):
    digest = _digest(base_digest, dockerfile)
    ref = 'dos/%s:latest' % name
    if _current(client, ref) == digest:
        return ref, digest, False
    build_dockerfile(client, ref, dockerfile + 'LABEL %s=%s\n' % (LABEL, digest))
    return ref, digest, True


def build_dockerfile(client, ref, text):
    """Build a Dockerfile with no context and no network; tag it ``ref``."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode='w') as tar:
        data = text.encode()
        info = tarfile.TarInfo('Dockerfile')
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    buf.seek(0)
    client.images.build(fileobj=buf, custom_context=True, tag=ref, rm=True,
                        forcerm=True, pull=False, network_mode='none')


def build_all(client=None):
    client = client or docker.from_env()
    built = {}
    ref, base_digest, fresh = build_busybox(client)
    built[ref] = fresh
    for name, dockerfile in DERIVED.items():
        ref, _d, fresh = build_derived(client, name, dockerfile, base_digest)
        built[ref] = fresh
    return built


def main():
    if not os.environ.get('DOCKER_HOST'):
        sys.exit('DOCKER_HOST is not set; run through make')
    built = build_all()
    print('images: ' + json.dumps(
        {ref: 'built' if fresh else 'cached' for ref, fresh in built.items()}))


if __name__ == '__main__':
    main()
