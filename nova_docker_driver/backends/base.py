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

"""The engine interface the driver programs against.

Everything the driver needs from a container engine, in its own terms:
containers are found by labels (instance uuid and host), never by name;
limits are plain numbers; images are references the engine understands.
"""

import abc
import dataclasses


@dataclasses.dataclass
class Limits:
    """Kernel-enforced limits of one container."""
    memory_bytes: int
    cpu_quota_us: int
    cpu_period_us: int
    cpu_shares: int
    pids_limit: int
    cpuset_cpus: str = ''
    disk_bytes: int = 0


@dataclasses.dataclass
class ContainerSpec:
    """What to create; the backend adds nothing a tenant could abuse."""
    name: str
    image: str
    labels: dict
    limits: Limits
    hostname: str
    command: list = None
    environment: dict = None
    #: Read-only bind mounts chosen by the driver: {host path: container path}.
    readonly_binds: dict = None
    #: Name servers for the container's /etc/resolv.conf (the DNS servers
    #: of its ports' subnets); None or empty: the engine's default.
    dns_servers: list = None
    #: Search domains for it (the DNS domains of its ports' networks);
    #: None or empty: the engine's default.
    dns_search: list = None


@dataclasses.dataclass
class ContainerState:
    """What the engine reports about one container."""
    id: str
    name: str
    status: str          # created, running, paused, restarting, exited, dead
    labels: dict
    pid: int = 0
    exit_code: int = 0
    image: str = ''
    started_at: str = ''
    #: When the process ended (RFC 3339), '' while it never has.
    finished_at: str = ''
    #: The kernel killed it for lack of memory.
    oom_killed: bool = False
    #: starting, healthy or unhealthy when the image (or container)
    #: declares a health check, else ''; and the last check's output.
    health: str = ''
    health_output: str = ''


class EngineBackend(metaclass=abc.ABCMeta):
    """One container engine reached through one API."""

    @abc.abstractmethod
    def endpoint(self):
        """Where the engine is, for messages."""

    @abc.abstractmethod
    def is_local(self):
        """True when host paths of this machine are the engine's too."""

    @abc.abstractmethod
    def version(self):
        """Dict with Version, ApiVersion, Arch, Os."""

    @abc.abstractmethod
    def info(self):
        """Dict with NCPU, MemTotal, Driver, DriverStatus, DockerRootDir."""

    @abc.abstractmethod
    def list_containers(self, labels):
        """ContainerStates of every container carrying all ``labels``."""

    @abc.abstractmethod
    def inspect(self, container_id):
        """The ContainerState of one container, or None if it is gone."""

    @abc.abstractmethod
    def inspect_raw(self, container_id):
        """The engine's own description (for limits and diagnostics)."""

    @abc.abstractmethod
    def create(self, spec):
        """Create a container from a ContainerSpec; return its id."""

    @abc.abstractmethod
    def start(self, container_id):
        """Start a created or stopped container."""

    @abc.abstractmethod
    def stop(self, container_id, timeout):
        """SIGTERM, then SIGKILL after ``timeout`` seconds."""

    @abc.abstractmethod
    def kill(self, container_id):
        """SIGKILL now."""

    @abc.abstractmethod
    def pause(self, container_id):
        """Freeze every process (cgroup freezer)."""

    @abc.abstractmethod
    def unpause(self, container_id):
        """Thaw a paused container."""

    @abc.abstractmethod
    def remove(self, container_id):
        """Remove a container whatever its state; a missing one is fine."""

    @abc.abstractmethod
    def update_limits(self, container_id, limits):
        """Apply new Limits to a container, running or not."""

    @abc.abstractmethod
    def logs(self, container_id, max_bytes):
        """The last ``max_bytes`` of stdout and stderr."""

    @abc.abstractmethod
    def stats(self, container_id):
        """One stats sample (cpu, memory, network, block io)."""

    @abc.abstractmethod
    def put_archive(self, container_id, path, data):
        """Extract a tar archive (bytes) at ``path`` in the container."""

    @abc.abstractmethod
    def get_file(self, container_id, path):
        """Bytes of one file in the container, or None if it is missing."""

    @abc.abstractmethod
    def open_tty(self, container_id, command):
        """A connected socket: ``command`` (argv) with a tty inside the
        running container; bytes sent are its input, bytes received its
        output; closing the socket hangs the terminal up. EngineError when
        the container is not running or the command cannot start."""

    @abc.abstractmethod
    def container_events(self, labels, actions, since=None):
        """A closable stream of container events (dicts with id, action,
        labels, time) for containers carrying ``labels``; it ends when the
        engine goes away or the stream is closed."""

    @abc.abstractmethod
    def image_id(self, ref):
        """Id of the image ``ref`` in the engine, or None."""

    @abc.abstractmethod
    def repository_tags(self, repository):
        """{tag: image id} of every tag of ``repository`` in the engine."""

    @abc.abstractmethod
    def image_ids_in_use(self):
        """Ids of the images of every container in the engine, any state."""

    @abc.abstractmethod
    def image_config(self, ref):
        """The image's config (Cmd, Entrypoint, User, Env...)."""

    @abc.abstractmethod
    def load_image(self, fileobj):
        """Load a ``docker save`` tarball; return the loaded image id.

        ``fileobj``: a file object, or an iterator of byte chunks (Glance's
        download, say), read once, front to back, never seeked.
        """

    @abc.abstractmethod
    def tag_image(self, image_id, repository, tag):
        """Tag an image."""

    @abc.abstractmethod
    def remove_image(self, ref):
        """Remove an image reference; a missing one is fine."""

    @abc.abstractmethod
    def commit(self, container_id, repository, tag):
        """Commit a container's filesystem as an image; return its id."""

    @abc.abstractmethod
    def save_image(self, ref):
        """Iterator of byte chunks of a ``docker save`` tarball."""
