"""The reclaim service's command line and pure helpers (no cloud needed)."""

import datetime
import subprocess
import sys

from scheduler_filters import conf
from scheduler_filters.reclaim import cloud
from scheduler_filters.reclaim import engine


def server(sid, vcpus, created_min, project='p', meta=None):
    return cloud.Server(
        id=sid, name=sid, project_id=project, status='ACTIVE', host='h1',
        created=datetime.datetime(2026, 1, 1, 0, created_min,
                                  tzinfo=datetime.timezone.utc),
        vcpus=vcpus, memory_mb=512, disk_gb=1, metadata=meta or {})


def test_newest_servers_cover_the_borrowed_amount():
    servers = [server('s%d' % i, 2, i) for i in range(5)]
    got = engine._newest_covering(servers, {'VCPU': 3, 'MEMORY_MB': 0},
                                  'node')
    assert set(got) == {'s4', 's3'}
    assert engine._newest_covering(servers, {'VCPU': 0}, 'n') == {}


def test_fits_is_first_fit_over_hosts():
    failed = [server('f1', 2, 0), server('f2', 2, 0)]
    room = {'VCPU': 2, 'MEMORY_MB': 4096, 'DISK_GB': 10}
    assert engine._fits(failed, {'h1': dict(room), 'h2': dict(room)})
    assert not engine._fits(failed, {'h1': dict(room)})
    assert not engine._fits(failed[:1], {'h1': dict(room, MEMORY_MB=100)})


def test_server_from_compute_api_json():
    s = cloud._server({
        'id': 'x', 'name': 'n', 'tenant_id': 'p', 'status': 'SHELVED',
        'OS-EXT-SRV-ATTR:host': None, 'created': '2026-01-01T00:00:00Z',
        'flavor': {'vcpus': 2, 'ram': 1024, 'disk': 5, 'ephemeral': 1},
        'metadata': {'docker_share:priority': '3'},
        'fault': {'message': 'No valid host was found.'}})
    assert (s.vcpus, s.memory_mb, s.disk_gb) == (2, 1024, 6)
    assert not s.holds_capacity
    assert s.fault.startswith('No valid host')


def test_options_are_listed_for_the_config_generator():
    groups = dict(conf.list_opts())
    names = {o.name for o in groups['docker_share_reclaim']}
    assert {'grace_period', 'action', 'dry_run', 'audit_log'} <= names
    assert [o.default for o in groups['docker_share_reclaim']
            if o.name == 'grace_period'] == [120.0]
    assert 'share_plan_file' in {o.name for o in groups['docker_scheduler']}


def test_console_script_refuses_to_start_without_a_plan(tmp_path):
    cfg = tmp_path / 'reclaim.conf'
    cfg.write_text('[docker_share_reclaim]\nshare_plan_file = %s\n'
                   % (tmp_path / 'missing.yaml'))
    proc = subprocess.run(
        [sys.executable, '-m', 'scheduler_filters.reclaim.service',
         '--config-file', str(cfg), '--once'],
        capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert 'missing.yaml' in proc.stderr
    cfg.write_text('[docker_share_reclaim]\naction = explode\n')
    proc = subprocess.run(
        [sys.executable, '-m', 'scheduler_filters.reclaim.service',
         '--config-file', str(cfg), '--once'],
        capture_output=True, text=True, timeout=60)
    assert proc.returncode != 0
    assert 'explode' in proc.stderr
