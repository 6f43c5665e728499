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

"""Every error the Nova Docker driver raises, each with a message template.

Errors about a bad image derive from Nova's ``ImageUnacceptable`` so that the
compute manager aborts the build (no reschedule) and records the message as
the instance fault; errors about the engine keep the endpoint in the text.
"""

from nova import exception as nova_exc


class DockerDriverError(nova_exc.NovaException):
    msg_fmt = 'Docker driver error: %(reason)s'


class EngineUnavailable(DockerDriverError):
    msg_fmt = 'Docker engine at %(endpoint)s is unavailable: %(reason)s'


class EngineError(DockerDriverError):
    msg_fmt = 'Docker engine refused %(action)s: %(reason)s'


class TLSConfigInvalid(DockerDriverError):
    msg_fmt = ('[docker] tls_ca_cert / tls_client_cert / tls_client_key / '
               'tls_verify are invalid: %(reason)s')


class ContainerNotFound(DockerDriverError):
    msg_fmt = 'No container for instance %(uuid)s on host %(host)s'


class BackendNotFound(DockerDriverError):
    msg_fmt = ('[docker] backend %(name)s is not in the '
               'nova_docker_driver.backends namespace: %(reason)s')


class DockerImageError(nova_exc.ImageUnacceptable):
    msg_fmt = 'Image %(image_id)s is unacceptable: %(reason)s'


class WrongContainerFormat(DockerImageError):
    msg_fmt = ('Image %(image_id)s is unacceptable: container_format is '
               '%(container_format)r, the Docker driver needs \'docker\'')


class CorruptImageTarball(DockerImageError):
    msg_fmt = ('Image %(image_id)s is unacceptable: its data is not a '
               '`docker save` tarball (%(reason)s)')


class ImageDataMissing(DockerImageError):
    msg_fmt = ('Image %(image_id)s is unacceptable: it has no data and no '
               'docker_image property naming an engine image')


class EngineImageMissing(DockerImageError):
    msg_fmt = ('Image %(image_id)s is unacceptable: its docker_image '
               '%(ref)r is not in the Docker engine')


class InvalidExtraSpec(nova_exc.InvalidInput):
    msg_fmt = 'Flavor extra spec %(key)s=%(value)r is invalid: %(reason)s'


class DiskQuotaRefused(EngineError):
    """The engine refused a container's disk quota (a storage option)."""


class DiskQuotaUnsupported(DockerDriverError):
    msg_fmt = ('[docker] disk_quota=on but storage driver %(driver)s on '
               '%(backing)s cannot limit a container root filesystem')


class SpawnAborted(nova_exc.BuildAbortException):
    msg_fmt = 'Build of instance %(instance_uuid)s aborted: %(reason)s'
