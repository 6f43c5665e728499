"""[heat_docker] engine options: the shared spelling, the old name read."""

from oslo_config import cfg

from heat_plugin import conf as heat_conf


def test_default_endpoint_still_names_the_engine(tmp_path):
    path = tmp_path / 'heat.conf'
    path.write_text('[heat_docker]\ndefault_endpoint = tcp://h:2375\n')
    conf = cfg.ConfigOpts()
    heat_conf.register_opts(conf)
    conf(['--config-file', str(path)])
    assert conf.heat_docker.endpoint == 'tcp://h:2375'
    assert conf.heat_docker.tls_verify is True
    assert conf.heat_docker.api_timeout == 60
