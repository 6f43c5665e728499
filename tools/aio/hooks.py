"""What an all-in-one service process installs before its code runs.

``run.py`` (console scripts) and ``serve.py`` (WSGI applications, in the
gunicorn worker) both call ``install``, so a service gets the same set-up
however it is started: Nova's NeutronFixture when asked (``neutron``; the
all-in-one has no Neutron yet). Nothing else: the services run unpatched on
MariaDB.
"""


def install(neutron_fixture=False):
    if neutron_fixture:
        from tools.aio import neutron
        neutron.install()
