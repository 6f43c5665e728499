"""Install the thin ``nova.virt.docker`` module that lets nova-compute load us.

Nova 34 builds the driver path as ``nova.virt.<compute_driver>``, so a driver
that lives outside Nova's tree needs a module inside ``nova.virt``. Operators
then set ``compute_driver = docker.DockerDriver``.
"""

import argparse
import os
import sys

SHIM_SOURCE = '''"""Installed by docker-on-openstack (nova-docker-shim); do not edit."""
from nova_docker_driver.driver import DockerDriver  # noqa: F401
'''

COMPUTE_DRIVER = 'docker.DockerDriver'


def shim_dir():
    import nova.virt
    return os.path.join(os.path.dirname(nova.virt.__file__), 'docker')


def install():
    path = shim_dir()
    os.makedirs(path, exist_ok=True)
    target = os.path.join(path, '__init__.py')
    current = None
    if os.path.exists(target):
        with open(target) as f:
            current = f.read()
    if current != SHIM_SOURCE:
        with open(target, 'w') as f:
            f.write(SHIM_SOURCE)
    return target


def uninstall():
    target = os.path.join(shim_dir(), '__init__.py')
    if os.path.exists(target):
        os.unlink(target)
        os.rmdir(os.path.dirname(target))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('action', choices=['install', 'uninstall', 'path'])
    args = parser.parse_args(argv)
    if args.action == 'install':
        print('installed %s (compute_driver = %s)' % (install(), COMPUTE_DRIVER))
    elif args.action == 'uninstall':
        uninstall()
    else:
        print(shim_dir())
    return 0


if __name__ == '__main__':
    sys.exit(main())
