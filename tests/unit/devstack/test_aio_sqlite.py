"""The all-in-one's SQLite hooks together, as its services run them: pooled
connections (``sqlite_pool``), ``BEGIN IMMEDIATE`` (``sqlite_tx``) and
``synchronous=NORMAL`` (``sqlite_sync``), with several processes of several
threads writing one WAL-mode file."""

import json
import os
import sqlite3
import subprocess
import sys
import threading

from oslo_db.sqlalchemy import engines
from sqlalchemy import pool

from tools.aio import layout
from tools.aio import sqlite_pool

PROCESSES = 3
THREADS = 3
ROUNDS = 20


def _child(path, threads, rounds):
    """One service-like process: read-then-write transactions from threads
    on one engine; prints how many connections it opened."""
    from tools.aio import hooks
    hooks.install()  # as run.py and serve.py do
    import sqlalchemy
    from sqlalchemy import event
    connects = []
    event.listen(pool.Pool, 'connect', lambda *a: connects.append(1))
    engine = engines.create_engine('sqlite:///%s?timeout=60' % path,
                                   max_retries=0)
    errors = []

    def work():
        try:
            for _ in range(rounds):
                # Read first, write later: the transaction a plain
                # (deferred) BEGIN cannot upgrade when another process
                # wrote meanwhile, and that loses updates without any BEGIN.
                with engine.begin() as conn:
                    n = conn.execute(sqlalchemy.text(
                        'select n from counter')).scalar()
                    conn.execute(sqlalchemy.text('update counter set n = :n'),
                                 {'n': n + 1})
        except Exception as exc:  # noqa: BLE001 - reported to the parent
            errors.append(repr(exc))
    workers = [threading.Thread(target=work) for _ in range(threads)]
    for t in workers:
        t.start()
    for t in workers:
        t.join()
    opened = len(connects)
    # A database in rollback-journal mode keeps SQLite's default (FULL).
    journal = engines.create_engine('sqlite:///%s-journal' % path,
                                    max_retries=0)
    with engine.connect() as wal, journal.connect() as other:
        sync = [c.exec_driver_sql('PRAGMA synchronous').scalar()
                for c in (wal, other)]
    print(json.dumps({'connects': opened, 'errors': errors,
                      'pool': type(engine.pool).__name__,
                      'synchronous': sync}))


def _wal_counter(path):
    """A WAL database with one counter row at 0."""
    with sqlite3.connect(path) as db:
        db.execute('PRAGMA journal_mode=WAL')
        db.execute('create table counter (n integer)')
        db.execute('insert into counter values (0)')


def test_processes_share_a_file_through_pooled_connections(tmp_path):
    path = str(tmp_path / 'shared.sqlite')
    _wal_counter(path)
    code = ('import sys; from tests.unit.devstack.test_aio_sqlite import '
            '_child; _child(sys.argv[1], %d, %d)' % (THREADS, ROUNDS))
    env = dict(os.environ, PYTHONPATH=layout.ROOT)
    children = [subprocess.Popen([sys.executable, '-c', code, path],
                                 stdout=subprocess.PIPE, env=env, text=True)
                for _ in range(PROCESSES)]
    reports = [json.loads(c.communicate(timeout=120)[0]) for c in children]
    assert [r['errors'] for r in reports] == [[]] * PROCESSES
    with sqlite3.connect(path) as db:
        (n,), = db.execute('select n from counter')
    assert n == PROCESSES * THREADS * ROUNDS
    for report in reports:
        # At most one connection per thread, not one per transaction.
        assert report['connects'] <= THREADS
        assert report['pool'] == 'QueuePool'
        # NORMAL (1) in WAL mode, FULL (2) otherwise.
        assert report['synchronous'] == [1, 2]


def test_only_sqlite_files_are_pooled(tmp_path):
    file_engine = engines.create_engine(
        'sqlite:///%s' % (tmp_path / 'x.sqlite'), max_retries=0)
    memory_engine = engines.create_engine('sqlite://', max_retries=0)
    try:
        assert isinstance(file_engine.pool, pool.NullPool)
        init = sqlite_pool.pooled(engines._init_connection_args)
        # Wrapping twice changes nothing (install() may run twice).
        assert sqlite_pool.pooled(init) is init
        for url, pooled in (('sqlite:///%s' % (tmp_path / 'y.sqlite'), True),
                            ('sqlite://', False),
                            ('sqlite:///:memory:', False)):
            args = {'connect_args': {}}
            init(engines.utils.make_url(url), args, {})
            assert (args['poolclass'] is pool.QueuePool) is pooled, url
        assert isinstance(memory_engine.pool, pool.StaticPool)
    finally:
        file_engine.dispose()
        memory_engine.dispose()


def _outcome(func):
    try:
        return func()
    except Exception as exc:  # noqa: BLE001 - reported to the parent
        return 'locked' if 'database is locked' in str(exc) else repr(exc)


def _reader_writer_child(path):
    """oslo.db reader and writer transactions, with the hooks, while
    another connection holds the file's write lock; prints the outcomes."""
    import sqlalchemy
    from oslo_db.sqlalchemy import enginefacade

    from tools.aio import sqlite_tx
    sqlite_tx.install()
    sqlite_pool.install()
    facade = enginefacade.transaction_context()
    # A short busy timeout: a transaction that waits for the lock fails
    # after 1 s with "database is locked".
    facade.configure(connection='sqlite:///%s?timeout=1' % path,
                     max_retries=0)

    class Context:
        pass

    def read():
        with facade.reader.using(Context()) as session:
            return session.execute(sqlalchemy.text(
                'select n from counter')).scalar()

    def write():
        with facade.writer.using(Context()) as session:
            # A reader nested in a writer is the writer's transaction.
            with facade.reader.using(Context()):
                pass
            session.execute(sqlalchemy.text('update counter set n = n + 1'))
        return 'written'

    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute('BEGIN IMMEDIATE')  # another process's write transaction
    out = {'read': _outcome(read), 'write': _outcome(write)}
    holder.execute('ROLLBACK')
    out['write_after'] = _outcome(write)
    out['read_after'] = _outcome(read)
    print(json.dumps(out))


def test_readers_do_not_take_the_write_lock(tmp_path):
    # oslo.db reader transactions keep SQLite's deferred BEGIN: on a WAL
    # file they read a snapshot while another process holds the write lock
    # (the all-in-one's boots had every service's reads queue behind
    # nova-conductor's writes, 1.2 s of lock waits in 20 boots); writer
    # transactions still take the lock first (BEGIN IMMEDIATE) and wait.
    path = str(tmp_path / 'rw.sqlite')
    _wal_counter(path)
    code = ('import sys; from tests.unit.devstack.test_aio_sqlite import '
            '_reader_writer_child; _reader_writer_child(sys.argv[1])')
    env = dict(os.environ, PYTHONPATH=layout.ROOT)
    out = subprocess.run([sys.executable, '-c', code, path], env=env,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == {
        'read': 0, 'write': 'locked', 'write_after': 'written',
        'read_after': 1}
