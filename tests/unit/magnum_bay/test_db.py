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

"""The bay database: Magnum's fields, lookups by uuid or name, cascades."""

import pytest

from magnum_bay import exception
from magnum_bay.db import api as db_api


@pytest.fixture
def db(tmp_path):
    conn = db_api.Connection('sqlite:///%s' % (tmp_path / 'bays.sqlite'))
    yield conn
    conn.close()


def test_template_and_cluster_round_trip(db):
    t = db.create_template(dict(name='t', coe='swarm-mode', image_id='img',
                                labels={'k': 'v'}, tls_disabled=True,
                                docker_volume_size=5, master_count=3))
    assert db.get_template('t')['uuid'] == t['uuid']
    assert db.get_template(t['uuid'])['labels'] == {'k': 'v'}
    c = db.create_cluster(dict(
        name='c', cluster_template_id=t['uuid'], coe='swarm-mode',
        status='CREATE_IN_PROGRESS', health_status_reason={}), [
        dict(name='default-master', role='master', node_count=3),
        dict(name='default-worker', role='worker', node_count=2)])
    db.update_cluster(c['uuid'], {'status': 'CREATE_COMPLETE',
                                  'health_status': 'HEALTHY',
                                  'health_status_reason': {'api': 'ok'}})
    got = db.get_cluster('c')
    assert (got['status'], got['health_status']) == ('CREATE_COMPLETE',
                                                     'HEALTHY')
    assert got['health_status_reason'] == {'api': 'ok'}
    assert got['created_at'] is not None and got['updated_at'] is not None
    assert [n['node_count'] for n in db.list_nodegroups(c['uuid'])] == [3, 2]
    with pytest.raises(exception.Conflict) as err:
        db.destroy_template('t')
    assert 'used by cluster(s) c' in str(err.value)
    db.put_certificate(c['uuid'], 'ca', 'CERT', 'KEY')
    db.destroy_cluster(c['uuid'])
    assert db.list_clusters() == [] and db.list_nodegroups(c['uuid']) == []
    assert db.count_certificates() == 0
    db.destroy_template('t')
    assert db.list_templates() == []


def test_lookup_errors(db):
    with pytest.raises(exception.TemplateNotFound):
        db.get_template('missing')
    with pytest.raises(exception.BayNotFound) as err:
        db.get_cluster('3f1c0a10-0000-4000-8000-000000000000')
    assert 'not found' in str(err.value)
    db.create_template(dict(name='same', coe='mesos', image_id='i'))
    db.create_template(dict(name='same', coe='mesos', image_id='i'))
    with pytest.raises(exception.Ambiguous):
        db.get_template('same')


def test_any_sqlalchemy_url_in_memory():
    conn = db_api.Connection('sqlite://')
    conn.create_template(dict(name='m', coe='mesos', image_id='i'))
    assert [t['name'] for t in conn.list_templates()] == ['m']
