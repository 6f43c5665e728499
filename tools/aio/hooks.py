"""What every all-in-one service process installs before its code runs.

``run.py`` (console scripts) and ``serve.py`` (WSGI applications, in the
gunicorn worker) both call ``install``, so a service gets the same hooks
however it is started: Nova's NeutronFixture when asked (``neutron``), and
the SQLite hooks (``sqlite_tx``, ``sqlite_pool``, ``sqlite_sync``).
"""


def install(neutron_fixture=False):
    if neutron_fixture:
        from tools.aio import neutron
        neutron.install()
    from tools.aio import sqlite_pool
    from tools.aio import sqlite_sync
    from tools.aio import sqlite_tx
    sqlite_tx.install()
    sqlite_pool.install()
    sqlite_sync.install()
