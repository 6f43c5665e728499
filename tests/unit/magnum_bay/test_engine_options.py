"""[bay] engine options: the shared spelling, the old name read."""

from oslo_config import cfg

from magnum_bay.conf import bay as bay_conf


def test_docker_host_still_names_the_host_engine(tmp_path):
    path = tmp_path / 'docker-bay.conf'
    path.write_text('[bay]\ndocker_host = unix:///run/other.sock\n')
    conf = cfg.ConfigOpts()
    bay_conf.register_opts(conf)
    conf(['--config-file', str(path)])
    assert conf.bay.endpoint == 'unix:///run/other.sock'
    assert conf.bay.api_timeout == 120
    assert conf.bay.tls_client_key is None
