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

"""Kubernetes and Mesos configuration, built and checked without binaries."""

import copy

import kubernetes
import pytest
import yaml

from magnum_bay import certs
from magnum_bay import conf as bay_conf
from magnum_bay import exception
from magnum_bay.drivers import image_nodes
from magnum_bay.drivers.kubernetes import kubeadm
from magnum_bay.drivers.kubernetes import manifests
from magnum_bay.drivers.kubernetes import plan as k8s_plan
from magnum_bay.drivers.mesos import config as mesos_config
from magnum_bay.drivers.mesos import driver as mesos_driver

NET = {'IPAM': {'Config': [{'Subnet': '10.9.0.0/24',
                            'Gateway': '10.9.0.1'}]}}
NGS = [{'name': 'default-master', 'role': 'master', 'node_count': 3},
       {'name': 'default-worker', 'role': 'worker', 'node_count': 2}]


def _plans(driver):
    return driver.plan_nodes(None, '0b5c1f3e-aaaa-4bbb-8ccc-000000000000',
                             NET, NGS)


@pytest.fixture(scope='module')
def k8s():
    ca = certs.make_ca('k8s CA')
    from magnum_bay.drivers.kubernetes import driver as k8s_driver
    d = k8s_driver.KubernetesDriver(bay_conf.CONF)
    return k8s_plan.KubernetesPlan(bay_conf.CONF.bay_kubernetes, 'demo', ca,
                                   _plans(d)).build(), ca


def test_plan_has_every_file(k8s):
    plan, ca = k8s
    assert [p.address for p in plan.plans] == [
        '10.9.0.2', '10.9.0.3', '10.9.0.4', '10.9.0.5', '10.9.0.6']
    master = plan.masters[0].files
    for name in ('ca.crt', 'ca.key', 'apiserver.crt', 'apiserver.key',
                 'etcd/ca.crt', 'etcd/server.crt', 'front-proxy-ca.crt',
                 'sa.key', 'sa.pub'):
        assert '/etc/kubernetes/pki/%s' % name in master
    assert master['/etc/kubernetes/pki/apiserver.key'][1] == 0o600
    worker = plan.workers[0].files
    assert not any('pki' in path for path in worker)
    assert plan.masters[0].bootstrap[:2] == ['kubeadm', 'init']
    assert plan.workers[0].bootstrap[:2] == ['kubeadm', 'join']
    apiserver = master['/etc/kubernetes/pki/apiserver.crt'][0]
    assert certs.verify(ca.cert_pem, apiserver)
    from cryptography import x509
    sans = x509.load_pem_x509_certificate(apiserver.encode()).extensions \
        .get_extension_for_class(x509.SubjectAlternativeName).value
    ips = {str(i) for i in sans.get_values_for_type(x509.IPAddress)}
    assert {'10.96.0.1', '10.9.0.2', '10.9.0.3', '10.9.0.4'} <= ips


def test_kubeconfig_loads_in_the_kubernetes_client(k8s):
    plan, _ca = k8s
    cfg = kubernetes.client.Configuration()
    kubernetes.config.load_kube_config_from_dict(
        yaml.safe_load(plan.admin_kubeconfig()), client_configuration=cfg)
    assert cfg.host == 'https://10.9.0.2:6443'
    assert cfg.cert_file and cfg.key_file and cfg.ssl_ca_cert


def test_join_trusts_only_the_ca(k8s):
    plan, ca = k8s
    docs = list(yaml.safe_load_all(
        plan.workers[1].files['/etc/kubernetes/bay/kubeadm.yaml'][0]))
    bt = docs[0]['discovery']['bootstrapToken']
    assert bt['caCertHashes'] == [certs.spki_sha256(ca.cert_pem)]
    assert bt['apiServerEndpoint'] == '10.9.0.2:6443'
    assert bt['token'] == plan.token


def test_manifests_pass_strict_schema_and_bad_ones_fail():
    pods = manifests.control_plane('m0', '10.9.0.2', 'v1.34.1',
                                   'registry.k8s.io', '10.96.0.0/12',
                                   '10.244.0.0/16')
    manifests.validate(pods, 'v1.34.1')
    bad = copy.deepcopy(pods)
    bad['kube-apiserver.yaml']['spec']['containers'][0]['imagePullPolicy'] \
        = 7
    with pytest.raises(exception.ConfigInvalid) as err:
        manifests.validate(bad, 'v1.34.1')
    assert 'kube-apiserver.yaml' in str(err.value)
    bad = copy.deepcopy(pods)
    bad['etcd.yaml']['spec']['hostNetwrok'] = True
    with pytest.raises(exception.ConfigInvalid):
        manifests.validate(bad, 'v1.34.1')


@pytest.mark.parametrize('mutate, words', [
    (lambda d: d[0].__setitem__('bootstrapTokens', [{'token': 'short'}]),
     'token'),
    (lambda d: d[1].__setitem__('kubernetesVersion', '1.34'),
     'kubernetesVersion'),
    (lambda d: d[1]['networking'].__setitem__('podSubnet', '10.96.0.0/16'),
     'overlaps'),
    (lambda d: d[1].__setitem__('apiVersion', 'kubeadm.k8s.io/v1beta3'),
     'apiVersion'),
])
def test_kubeadm_validation(mutate, words):
    docs = kubeadm.init_config('c', 'm0', '10.9.0.2', 'v1.34.1',
                               '10.244.0.0/16', '10.96.0.0/12', 6443,
                               kubeadm.new_token(), 'registry.k8s.io', [])
    kubeadm.validate(docs)
    mutate(docs)
    with pytest.raises(exception.ConfigInvalid) as err:
        kubeadm.validate(docs)
    assert words in str(err.value)


def test_mesos_config():
    driver = mesos_driver.MesosDriver(bay_conf.CONF)
    ca = certs.make_ca('mesos CA')
    plans = driver.build({'name': 'm'}, _plans(driver), ca,
                         lambda name, addrs: certs.issue(
                             ca, name, server=True, client=True,
                             names=addrs))
    master = mesos_config.parse_env_file(
        plans[0].files['/etc/bay/mesos.env'][0])
    agent = mesos_config.parse_env_file(
        plans[3].files['/etc/bay/mesos.env'][0])
    assert master['MESOS_QUORUM'] == '2'
    assert master['MESOS_ZK'] == ('zk://10.9.0.2:2181,10.9.0.3:2181,'
                                  '10.9.0.4:2181/mesos')
    assert agent['MESOS_MASTER'] == master['MESOS_ZK']
    assert agent['MESOS_CONTAINERIZERS'] == 'docker,mesos'
    assert master['LIBPROCESS_SSL_ENABLED'] == 'true'
    assert plans[2].files['/var/lib/zookeeper/myid'][0] == '3\n'
    assert 'server.3=10.9.0.4:2888:3888' in \
        plans[0].files['/etc/zookeeper/conf/zoo.cfg'][0]
    assert plans[0].files['/etc/bay/node-key.pem'][1] == 0o600
    assert 'mesos-master' in plans[0].command[-1]
    assert 'mesos-agent' in plans[3].command[-1]


def test_mesos_validation_catches_a_minority_quorum():
    opts = bay_conf.CONF.bay_mesos
    masters = ['10.0.0.2', '10.0.0.3', '10.0.0.4']
    envs = [mesos_config.master_env('m', a, masters, opts) for a in masters]
    envs[1]['MESOS_QUORUM'] = '1'
    with pytest.raises(exception.ConfigInvalid) as err:
        mesos_config.validate(envs, [], mesos_config.zoo_cfg(masters, opts))
    assert 'MESOS_QUORUM' in str(err.value)
    agent = mesos_config.agent_env('10.0.0.9', ['10.0.0.7'], opts)
    envs[1]['MESOS_QUORUM'] = '2'
    with pytest.raises(exception.ConfigInvalid):
        mesos_config.validate(envs, [agent],
                              mesos_config.zoo_cfg(masters, opts))


def test_node_plan_repr_has_no_files():
    p = image_nodes.NodePlan({'name': 'g'}, 'master', 0, 'n', '10.0.0.2')
    p.files = {'/k': ('-----BEGIN PRIVATE KEY-----', 0o600)}
    assert 'PRIVATE' not in repr(p)
