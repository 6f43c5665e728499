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

"""One Connection to the bay database; rows come back as plain dicts.

Dicts, not ORM objects, because bays are worked on from several threads and
a detached row must never lazy-load behind a caller's back.
"""

import contextlib
import os
import threading

import sqlalchemy as sa
from oslo_utils import uuidutils
from sqlalchemy import orm

from magnum_bay import exception
from magnum_bay.db import models


def _engine(url):
    kwargs = {}
    if url.startswith('sqlite'):
        # Threads of one process share the file; wait for locks a while.
        kwargs['connect_args'] = {'check_same_thread': False, 'timeout': 30}
        path = url.split('///', 1)[-1]
        if path and path != ':memory:' and '///' in url:
            os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        if url in ('sqlite://', 'sqlite:///:memory:'):
            kwargs['poolclass'] = sa.pool.StaticPool
    else:
        # A database server may have closed a pooled connection (restarted,
        # or its idle timeout): test each one before use.
        kwargs['pool_pre_ping'] = True
    return sa.create_engine(url, **kwargs)


class Connection:
    def __init__(self, url):
        self.url = url
        self.engine = _engine(url)
        models.Base.metadata.create_all(self.engine)
        self._factory = orm.sessionmaker(self.engine, expire_on_commit=False)
        # SQLite allows one writer; serialise writes of this process.
        self._write_lock = threading.RLock()

    def close(self):
        self.engine.dispose()

    @contextlib.contextmanager
    def _session(self, write=False):
        lock = self._write_lock if write else contextlib.nullcontext()
        with lock, self._factory() as session:
            yield session
            if write:
                session.commit()

    # -- lookups ----------------------------------------------------------

    def _find(self, session, model, ident, not_found):
        if uuidutils.is_uuid_like(ident):
            row = session.scalars(sa.select(model).where(
                model.uuid == ident)).first()
            if row is not None:
                return row
        rows = session.scalars(sa.select(model).where(
            model.name == ident)).all()
        if not rows:
            raise not_found(ident)
        if len(rows) > 1:
            raise exception.Ambiguous(kind=model.__tablename__, ident=ident)
        return rows[0]

    # -- templates --------------------------------------------------------

    def create_template(self, values):
        values = dict(values, uuid=values.get('uuid') or
                      uuidutils.generate_uuid())
        with self._session(write=True) as s:
            row = models.ClusterTemplate(**values)
            s.add(row)
            s.flush()
            return row.as_dict()

    def get_template(self, ident):
        with self._session() as s:
            return self._find(s, models.ClusterTemplate, ident,
                              exception.TemplateNotFound).as_dict()

    def list_templates(self):
        with self._session() as s:
            return [r.as_dict() for r in s.scalars(
                sa.select(models.ClusterTemplate).order_by(
                    models.ClusterTemplate.id))]

    def destroy_template(self, ident):
        with self._session(write=True) as s:
            row = self._find(s, models.ClusterTemplate, ident,
                             exception.TemplateNotFound)
            used = s.scalars(sa.select(models.Cluster.name).where(
                models.Cluster.cluster_template_id == row.uuid)).all()
            if used:
                raise exception.Conflict(
                    what='cluster template %s' % row.name,
                    reason='used by cluster(s) %s' % ', '.join(used))
            s.delete(row)

    # -- clusters ---------------------------------------------------------

    def create_cluster(self, values, nodegroups):
        values = dict(values, uuid=values.get('uuid') or
                      uuidutils.generate_uuid())
        with self._session(write=True) as s:
            row = models.Cluster(**values)
            s.add(row)
            for ng in nodegroups:
                s.add(models.NodeGroup(
                    uuid=uuidutils.generate_uuid(), cluster_id=row.uuid,
                    project_id=row.project_id, **ng))
            s.flush()
            return row.as_dict()

    def get_cluster(self, ident):
        with self._session() as s:
            return self._find(s, models.Cluster, ident,
                              exception.BayNotFound).as_dict()

    def list_clusters(self):
        with self._session() as s:
            return [r.as_dict() for r in s.scalars(
                sa.select(models.Cluster).order_by(models.Cluster.id))]

    def update_cluster(self, uuid, values):
        with self._session(write=True) as s:
            row = self._find(s, models.Cluster, uuid, exception.BayNotFound)
            for key, value in values.items():
                setattr(row, key, value)
            s.flush()
            return row.as_dict()

    def destroy_cluster(self, uuid):
        """Remove the cluster with its nodegroups and certificates."""
        with self._session(write=True) as s:
            for model in (models.Certificate, models.NodeGroup):
                s.execute(sa.delete(model).where(model.cluster_id == uuid))
            s.execute(sa.delete(models.Cluster).where(
                models.Cluster.uuid == uuid))

    # -- nodegroups -------------------------------------------------------

    def list_nodegroups(self, cluster_uuid):
        with self._session() as s:
            return [r.as_dict() for r in s.scalars(
                sa.select(models.NodeGroup).where(
                    models.NodeGroup.cluster_id == cluster_uuid).order_by(
                    models.NodeGroup.id))]

    def create_nodegroup(self, cluster_uuid, values):
        with self._session(write=True) as s:
            cluster = self._find(s, models.Cluster, cluster_uuid,
                                 exception.BayNotFound)
            exists = s.scalars(sa.select(models.NodeGroup).where(
                models.NodeGroup.cluster_id == cluster.uuid,
                models.NodeGroup.name == values['name'])).first()
            if exists is not None:
                raise exception.Conflict(
                    what='nodegroup %s' % values['name'],
                    reason='the cluster has a nodegroup of that name')
            row = models.NodeGroup(uuid=uuidutils.generate_uuid(),
                                   cluster_id=cluster.uuid,
                                   project_id=cluster.project_id, **values)
            s.add(row)
            s.flush()
            return row.as_dict()

    def destroy_nodegroup(self, uuid):
        with self._session(write=True) as s:
            s.execute(sa.delete(models.NodeGroup).where(
                models.NodeGroup.uuid == uuid))

    def update_nodegroup(self, uuid, values):
        with self._session(write=True) as s:
            row = s.scalars(sa.select(models.NodeGroup).where(
                models.NodeGroup.uuid == uuid)).one()
            for key, value in values.items():
                setattr(row, key, value)
            s.flush()
            return row.as_dict()

    # -- certificates -----------------------------------------------------

    def put_certificate(self, cluster_uuid, kind, cert_pem, key_pem=None):
        with self._session(write=True) as s:
            row = s.scalars(sa.select(models.Certificate).where(
                models.Certificate.cluster_id == cluster_uuid,
                models.Certificate.kind == kind)).first()
            if row is None:
                row = models.Certificate(cluster_id=cluster_uuid, kind=kind)
                s.add(row)
            row.cert_pem = cert_pem
            row.key_pem = key_pem

    def get_certificates(self, cluster_uuid):
        with self._session() as s:
            return {r.kind: r.as_dict() for r in s.scalars(
                sa.select(models.Certificate).where(
                    models.Certificate.cluster_id == cluster_uuid))}

    def delete_certificate(self, cluster_uuid, kind):
        with self._session(write=True) as s:
            s.execute(sa.delete(models.Certificate).where(
                models.Certificate.cluster_id == cluster_uuid,
                models.Certificate.kind == kind))

    def count_certificates(self, cluster_uuid=None):
        with self._session() as s:
            q = sa.select(sa.func.count()).select_from(models.Certificate)
            if cluster_uuid:
                q = q.where(models.Certificate.cluster_id == cluster_uuid)
            return s.scalar(q)
