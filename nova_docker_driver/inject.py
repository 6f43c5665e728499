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

"""Instance data made available inside the container before it first starts.

- The whole config-drive tree (meta_data.json, user_data, network_data.json,
  vendor data, EC2 metadata, personality files under openstack/content) at
  ``/var/lib/cloud/seed/config_drive``, where cloud-init's ConfigDrive
  datasource looks first; images without cloud-init read the files there.
  With a local engine the tree is written to
  ``[docker] instances_dir/<uuid>/config_drive`` and bind-mounted read-only
  (the driver chooses the path, never the tenant; snapshots do not capture
  it); with a remote engine it is copied in through the Engine API.
- Each injected (personality) file at its own path, and the instance's key
  pair in ``~/.ssh/authorized_keys`` of the image's user (image property
  ``os_admin_user``, else the image's USER, else root), owned by that user:
  one archive through the Engine API, only when there is something to copy.
"""

import io
import os
import posixpath
import tarfile
import time

from nova.api.metadata import base as instance_metadata
from nova.network import model as network_model

CONFIG_DRIVE_DIR = '/var/lib/cloud/seed/config_drive'


class TarBuilder:
    """A tar archive of files.

    Parent directories get no entries of their own: the engine creates
    missing ones (0755, root), and an entry for an existing directory such
    as /tmp would reset its mode and owner.
    """

    def __init__(self):
        self._buf = io.BytesIO()
        self._tar = tarfile.open(fileobj=self._buf, mode='w')
        self._now = time.time()

    def _add(self, info, data=None):
        info.mtime = self._now
        self._tar.addfile(info, data)

    def add_dir(self, path, mode=0o755, uid=0, gid=0):
        info = tarfile.TarInfo(posixpath.normpath('/' + path).strip('/'))
        info.type = tarfile.DIRTYPE
        info.mode, info.uid, info.gid = mode, uid, gid
        self._add(info)

    def add_file(self, path, data, mode=0o644, uid=0, gid=0):
        if isinstance(data, str):
            data = data.encode()
        info = tarfile.TarInfo(posixpath.normpath('/' + path).strip('/'))
        info.size = len(data)
        info.mode, info.uid, info.gid = mode, uid, gid
        self._add(info, io.BytesIO(data))

    def getvalue(self):
        self._tar.close()
        return self._buf.getvalue()


def passwd_entry(passwd_text, user):
    """(uid, gid, home) of ``user`` in an /etc/passwd text, or None."""
    for line in (passwd_text or '').splitlines():
        fields = line.split(':')
        if len(fields) >= 6 and (fields[0] == user or fields[2] == user):
            return int(fields[2]), int(fields[3]), fields[5]
    return None


def config_drive_files(instance, injected_files, network_info):
    """[(relative path, bytes, mode)] of the config-drive tree."""
    # InstanceMetadata works on a detached copy of the instance: load what
    # it reads while the instance can still reach the database.
    for attr in ('metadata', 'system_metadata', 'flavor', 'user_data'):
        getattr(instance, attr)
    if not instance.obj_attr_is_set('hostname') or not instance.hostname:
        # The metadata names the host; Nova sets hostname on every boot
        # through its API, not always on instances made otherwise.
        instance = instance.obj_clone()
        instance.hostname = instance.name
    # Hydrating gives every fixed ip the fields the metadata code reads.
    network_info = (network_model.NetworkInfo.hydrate(network_info)
                    if network_info else None)
    md = instance_metadata.InstanceMetadata(
        instance, content=injected_files or [], network_info=network_info)
    files = []
    for path, value in md.metadata_for_config_drive():
        if isinstance(value, str):
            value = value.encode()
        private = 'user' in path or 'content' in path
        files.append((path, value, 0o600 if private else 0o644))
    return files


def write_tree(root, files):
    """Write config-drive files under a fresh host directory ``root``."""
    os.makedirs(root, mode=0o755)
    for path, data, mode in files:
        target = os.path.join(root, path)
        os.makedirs(os.path.dirname(target), mode=0o755, exist_ok=True)
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
        with os.fdopen(fd, 'wb') as f:
            f.write(data)


def read_tree(root):
    """[(relative path, bytes, mode)] of every file under ``root`` (what
    write_tree wrote); empty when there is no such folder."""
    files = []
    if not os.path.isdir(root):
        return files
    for folder, _dirs, names in os.walk(root):
        for name in sorted(names):
            path = os.path.join(folder, name)
            with open(path, 'rb') as f:
                data = f.read()
            files.append((os.path.relpath(path, root), data,
                          os.stat(path).st_mode & 0o7777))
    return files


def tree_archive(files):
    """The config-drive tree as an archive to extract at / (remote engine)."""
    tar = TarBuilder()
    for path, data, mode in files:
        tar.add_file(posixpath.join(CONFIG_DRIVE_DIR, path), data, mode=mode)
    return tar.getvalue()


def personal_archive(instance, injected_files, passwd_text, image_user):
    """(archive or None, problem): injected files and the key pair."""
    key = getattr(instance, 'key_data', None)
    if not injected_files and not key:
        return None, None
    tar = TarBuilder()
    for path, contents in injected_files or []:
        tar.add_file(path, contents)
    if key:
        user = image_user or 'root'
        entry = passwd_entry(passwd_text, user) or (
            (0, 0, '/root') if user in ('root', '0') else None)
        if entry is None:
            # An unknown user gets no key rather than a key owned by root
            # in a directory the user cannot read.
            return tar.getvalue(), 'user %s not in /etc/passwd' % user
        uid, gid, home = entry
        ssh = posixpath.join(home, '.ssh')
        tar.add_dir(ssh, mode=0o700, uid=uid, gid=gid)
        tar.add_file(posixpath.join(ssh, 'authorized_keys'),
                     key.strip() + '\n', mode=0o600, uid=uid, gid=gid)
    return tar.getvalue(), None
