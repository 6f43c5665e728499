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

"""Fixtures for bay tests: the node image (built once, cached by content) and
a bay service on a fresh SQLite database that deletes its bays afterwards."""

import pytest

from magnum_bay import conf as bay_conf
from magnum_bay import service as bay_service
from magnum_bay.db import api as db_api
from magnum_bay.engine import nodes as engine_nodes
from tests.rig import docker_engine


@pytest.fixture(scope='session')
def node_image(docker_client):
    """dos/bay-node:latest (and :v2); debootstrap only on the very first run.

    Session-scoped, so it is made before any test's cleanup snapshot and the
    cleanup never removes it.
    """
    module = docker_engine.tools_module('node_image')
    module.build(docker_client)
    return module.REF, module.REF_V2


@pytest.fixture
def bays(docker, node_image, tmp_path):
    """A BayService on its own database; every bay left is deleted."""
    conf = bay_conf.CONF
    conf.set_override('state_dir', str(tmp_path / 'bay'), 'bay')
    svc = bay_service.BayService(
        conf, db=db_api.Connection('sqlite:///%s' % (tmp_path / 'b.sqlite')),
        host=engine_nodes.NodeHost(docker_engine.docker_host()))
    yield svc
    try:
        for cluster in svc.list_clusters():
            svc.delete_cluster(cluster['uuid'])
    finally:
        svc.close()
        svc.db.close()
        conf.clear_override('state_dir', 'bay')
