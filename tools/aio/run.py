"""Run an OpenStack service's console script with the all-in-one's hooks.

    python -m tools.aio.run [--neutron-fixture] <console script> [args ...]

The entry point is looked up in the ``console_scripts`` group, exactly the
function the installed script calls. Before it runs, SQLite transactions
become ``BEGIN IMMEDIATE`` (``sqlite_tx``), SQLite file connections are
pooled (``sqlite_pool``), WAL commits skip the fsync (``sqlite_sync``)
and, for Nova services, Nova's NeutronFixture is installed (``neutron``).
"""

import sys
from importlib import metadata

from tools.aio import sqlite_pool
from tools.aio import sqlite_sync
from tools.aio import sqlite_tx


def main():
    args = sys.argv[1:]
    fixture = args[:1] == ['--neutron-fixture']
    if fixture:
        args = args[1:]
    name = args[0]
    (entry,) = [e for e in metadata.entry_points(group='console_scripts')
                if e.name == name]
    sys.argv = [name] + args[1:]
    if fixture:
        from tools.aio import neutron
        neutron.install()
    sqlite_tx.install()
    sqlite_pool.install()
    sqlite_sync.install()
    sys.exit(entry.load()())


if __name__ == '__main__':
    main()
