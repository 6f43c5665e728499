"""Run an OpenStack service's console script with the all-in-one's hooks.

    python -m tools.aio.run [--neutron-fixture] <console script> [args ...]

The entry point is looked up in the ``console_scripts`` group, exactly the
function the installed script calls. Before it runs, the all-in-one's
hooks are installed (``hooks``: for Nova services, Nova's
NeutronFixture).
"""

import sys
from importlib import metadata

from tools.aio import hooks


def main():
    args = sys.argv[1:]
    fixture = args[:1] == ['--neutron-fixture']
    if fixture:
        args = args[1:]
    name = args[0]
    (entry,) = [e for e in metadata.entry_points(group='console_scripts')
                if e.name == name]
    sys.argv = [name] + args[1:]
    hooks.install(neutron_fixture=fixture)
    sys.exit(entry.load()())


if __name__ == '__main__':
    main()
