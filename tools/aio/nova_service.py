"""Run a Nova service console script with Nova's NeutronFixture installed.

    python -m tools.aio.nova_service nova-compute --config-file F

The entry point is looked up in the ``console_scripts`` group, exactly the
function the installed ``nova-compute`` script calls.
"""

import sys
from importlib import metadata

from tools.aio import neutron


def main():
    name = sys.argv[1]
    (entry,) = [e for e in metadata.entry_points(group='console_scripts')
                if e.name == name]
    sys.argv = [name] + sys.argv[2:]
    neutron.install()
    sys.exit(entry.load()())


if __name__ == '__main__':
    main()
