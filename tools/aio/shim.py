"""The nova.virt shim, checked before the all-in-one starts its computes.

nova-compute loads ``compute_driver = docker.DockerDriver`` through the thin
``nova.virt.docker`` module, which lives in Nova's package: a Nova installed
into a new place comes without it. As DevStack's plugin does, the all-in-one
runs ``nova-docker-shim check || nova-docker-shim install`` first.
"""

import os
import subprocess

from tools.aio import services


class ShimError(Exception):
    pass


def ensure(lay, log=print, virt_dir=None):
    """'ok' when the shim is in place, 'installed' when it was written now.

    virt_dir: a nova/virt folder other than the venv's Nova's.
    """
    argv = [os.path.join(lay.bin, 'nova-docker-shim')]
    extra = ['--nova-virt-dir', virt_dir] if virt_dir else []
    env = services.base_env(lay)
    check = subprocess.run(argv + ['check'] + extra, env=env,
                           capture_output=True, text=True)
    if check.returncode == 0:
        return 'ok'
    log('  ' + check.stderr.strip())
    install = subprocess.run(argv + ['install'] + extra, env=env,
                             capture_output=True, text=True)
    if install.returncode:
        raise ShimError('nova-docker-shim install failed: %s'
                        % (install.stderr or install.stdout).strip())
    log('  ' + install.stdout.strip())
    return 'installed'
