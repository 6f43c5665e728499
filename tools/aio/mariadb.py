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

"""The all-in-one's database server: a private MariaDB instance.

Debian's ``mariadb-server`` provides the programs; the all-in-one runs its
own server with them, never the system's: its data directory
(``data/mariadb``), socket and pid file (``run/``) live in the cloud's
folder, it listens on 127.0.0.1 at the port base's ``mariadb`` port, and it
reads only the option file written here (``--defaults-file``), so neither
``/etc/mysql`` nor a system server's socket, port or data are ever used.

Each service has its own user (named after the service) that may use only
its own databases (``DATABASES``), over TCP from 127.0.0.1; the server's
root account is reachable only through the private socket, by the system
user who runs the cloud (MariaDB's ``unix_socket`` authentication).
"""

import os
import shutil
import subprocess

MARIADBD = '/usr/sbin/mariadbd'
INSTALL_DB = '/usr/bin/mariadb-install-db'
CLIENT = '/usr/bin/mariadb'

#: Password of every service's database user. The server accepts
#: connections from 127.0.0.1 only, like the rest of the all-in-one.
PASSWORD = 'aio-db'

#: The databases of each service's user, created at every start (it is
#: idempotent, so a service added to an existing cloud gets its database).
DATABASES = {
    'keystone': ('keystone',),
    'placement': ('placement',),
    'nova': ('nova_api', 'nova_cell0', 'nova_cell1'),
    'glance': ('glance',),
    'heat': ('heat',),
    'neutron': ('neutron',),
    'octavia': ('octavia',),
    'aodh': ('aodh',),
    'bay': ('bay',),
}

#: Options of the server, beyond the paths and the port. Services keep pools
#: of connections (oslo.db: 5 each, up to 50 more under load) in about ten
#: processes; 151 (the default) is too few at peaks.
SERVER_OPTIONS = {
    'bind-address': '127.0.0.1',
    'skip-name-resolve': '1',
    'max_connections': '1000',
    'character-set-server': 'utf8mb3',
    'collation-server': 'utf8mb3_general_ci',
    # The redo log is written at each commit and synced about once a
    # second: a crash of the server loses nothing, a crash of the machine
    # may lose the last second. A development cloud on two cores trades
    # that for commits that do not each wait for the disk.
    'innodb_flush_log_at_trx_commit': '2',
    'innodb_buffer_pool_size': '128M',
    'performance_schema': 'OFF',
}


class MariaDBError(Exception):
    pass


class Paths:
    """Where one cloud's server keeps its files."""

    def __init__(self, lay):
        self.datadir = os.path.join(lay.data, 'mariadb')
        self.socket = os.path.join(lay.run, 'mariadb.sock')
        self.pidfile = os.path.join(lay.run, 'mariadbd.pid')
        self.option_file = lay.conf('mariadb', 'my.cnf')
        self.log = os.path.join(lay.logs, 'mariadb.log')
        self.port = lay.port('mariadb')


def installed():
    """The missing programs of Debian's mariadb-server ([] when none)."""
    return [p for p in (MARIADBD, INSTALL_DB, CLIENT)
            if not os.access(p, os.X_OK)]


def server_argv(lay):
    return [MARIADBD, '--defaults-file=%s' % Paths(lay).option_file]


def option_file_text(lay):
    paths = Paths(lay)
    server = {
        'datadir': paths.datadir,
        'socket': paths.socket,
        'pid-file': paths.pidfile,
        'port': str(paths.port),
    }
    if os.geteuid() == 0:
        server['user'] = 'root'  # mariadbd refuses root without it
    server.update(SERVER_OPTIONS)
    lines = ['# Written by tools/aio at every start; edits are lost.',
             '[mysqld]']
    lines += ['%s = %s' % item for item in server.items()]
    lines += ['', '[client]', 'socket = %s' % paths.socket,
              'port = %d' % paths.port, '']
    return '\n'.join(lines)


def write_config(lay):
    path = Paths(lay).option_file
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = path + '.tmp'
    with open(tmp, 'w') as f:
        f.write(option_file_text(lay))
    os.replace(tmp, path)
    return path


def initialise(lay):
    """Create the data directory once (system tables, no test database).

    It is built beside its final place and renamed into it, so an
    interrupted run leaves no half-made directory for the next start to
    take as ready. Returns True when it created the directory.
    """
    paths = Paths(lay)
    if os.path.isdir(os.path.join(paths.datadir, 'mysql')):
        return False
    building = paths.datadir + '.new'
    shutil.rmtree(building, ignore_errors=True)
    os.makedirs(building)
    argv = [INSTALL_DB, '--defaults-file=%s' % paths.option_file,
            '--datadir=%s' % building, '--skip-test-db',
            '--auth-root-authentication-method=socket']
    if os.geteuid() == 0:
        argv.append('--user=root')
    with open(paths.log, 'ab') as log:
        log.write(('\n=== %s\n' % ' '.join(argv)).encode())
        log.flush()
        proc = subprocess.run(argv, stdout=log, stderr=subprocess.STDOUT,
                              stdin=subprocess.DEVNULL, timeout=300)
    if proc.returncode != 0:
        shutil.rmtree(building, ignore_errors=True)
        raise MariaDBError('mariadb-install-db failed (exit %d); see %s'
                           % (proc.returncode, paths.log))
    shutil.rmtree(paths.datadir, ignore_errors=True)
    os.rename(building, paths.datadir)
    return True


def _quote_name(name):
    return '`%s`' % name.replace('`', '``')


def _quote_string(text):
    return "'%s'" % text.replace('\\', '\\\\').replace("'", "\\'")


def grants_sql(databases=None, password=PASSWORD):
    """SQL that makes every database and user (idempotent)."""
    statements = []
    for user, names in (databases or DATABASES).items():
        account = '%s@%s' % (_quote_string(user), _quote_string('127.0.0.1'))
        statements.append('CREATE USER IF NOT EXISTS %s IDENTIFIED BY %s'
                          % (account, _quote_string(password)))
        # A changed password takes effect on an existing cloud too.
        statements.append('ALTER USER %s IDENTIFIED BY %s'
                          % (account, _quote_string(password)))
        for name in names:
            statements.append('CREATE DATABASE IF NOT EXISTS %s CHARACTER '
                              'SET utf8mb3' % _quote_name(name))
            statements.append('GRANT ALL PRIVILEGES ON %s.* TO %s'
                              % (_quote_name(name), account))
    return ';\n'.join(statements) + ';\n'


def sql(lay, text, timeout=60):
    """Run SQL as the server's root over its private socket; its output."""
    paths = Paths(lay)
    proc = subprocess.run(
        [CLIENT, '--no-defaults', '--socket=%s' % paths.socket,
         '--user=root', '--batch', '--skip-column-names'],
        input=text, capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        raise MariaDBError('SQL on the all-in-one\'s MariaDB (%s) failed: %s'
                           % (paths.socket, proc.stderr.strip()))
    return proc.stdout


def create_databases(lay):
    sql(lay, grants_sql())


def url(lay, user, database):
    """The SQLAlchemy URL a service uses for one of its databases."""
    return 'mysql+pymysql://%s:%s@127.0.0.1:%d/%s?charset=utf8' % (
        user, PASSWORD, lay.port('mariadb'), database)


def last_error(lay):
    """The server's last [ERROR] line in its log (not the closing
    "Aborting", which says nothing), or ''."""
    try:
        with open(Paths(lay).log, 'rb') as f:
            f.seek(0, os.SEEK_END)
            f.seek(max(0, f.tell() - 32 * 1024))
            lines = f.read().decode(errors='replace').splitlines()
    except OSError:
        return ''
    errors = [line.split('[ERROR]', 1)[1].strip() for line in lines
              if '[ERROR]' in line]
    errors = [e for e in errors if e != 'Aborting']
    return errors[-1] if errors else ''
