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

"""tools/perf_page.py renders a summary.json into the page and the README."""

import json
import os
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))
sys.path.insert(0, os.path.join(ROOT, 'tools'))
import perf_page  # noqa: E402
import run_bench  # noqa: E402

MACHINE = {'cpus': 2, 'python_loop_s': 0.131}


def _summary():
    """A small summary of the form tools/run_bench.py writes."""
    def cost(arch, share, builtin_ratio, path_ms, floor_ms):
        return {'ArchitectureFilter': {'us_per_host': arch, 'p50_ms': 1.0,
                                       'best_ms': 0.9},
                'TenantShareFilter': {'us_per_host': share, 'p50_ms': 0.1,
                                      'best_ms': 0.1},
                'ratio_builtin_filters_over_ours': builtin_ratio,
                'ours_nova_handlers': {'p50_ms': path_ms, 'best_ms': 20.1,
                                       'us_per_host': 2.2},
                'floor_ms': floor_ms, 'machine': MACHINE}
    return {
        '_host': {'cpus': 2, 'cpu_model': 'Test CPU @ 2.0GHz',
                  'memory_gib': 23.5, 'os': 'Debian GNU/Linux 12 (bookworm)',
                  'kernel': '6.18.0', 'python': '3.11.2',
                  'docker_engine': '20.10.24',
                  'load_average_at_start': [0.5, 0.4, 0.3]},
        'nova_driver': {
            'rounds': 20, 'raw_create_start_s': {'p50': 0.150, 'p95': 0.17},
            'driver_spawn_s': {'p50': 0.160, 'p95': 0.18},
            'api_boot_to_active_s': {'p50': 0.480, 'p95': 0.52},
            'spawn_ratio_p50': 1.0667, 'boot_ratio_p50': 3.2,
            'targets': {'spawn_ratio_p50': 1.10, 'boot_ratio_p50': 3.0},
            'machine': MACHINE, 'measured_at': '2026-12-04T17:10:05Z',
            'duration_s': 95},
        'aio_boot': {
            'rounds': 20, 'raw_create_start_s': {'p50': 0.2, 'p95': 0.25},
            'api_boot_to_active_s': {'p50': 0.58, 'p95': 0.66},
            'boot_ratio_p50': 2.9, 'boot_ratio_p95': 2.64,
            'targets': {'boot_ratio_p50': 3.0}, 'machine': MACHINE,
            'measured_at': '2026-12-04T17:02:00Z', 'duration_s': 60},
        'aio_net': {
            'rounds': 20,
            'baseline_active_s': {'p50': 0.25, 'p95': 0.3},
            'neutron_active_s': {'p50': 1.5, 'p95': 2.0},
            'baseline_first_reply_s': {'p50': 0.3, 'p95': 0.35},
            'neutron_first_reply_s': {'p50': 1.5, 'p95': 2.2},
            'active_ratio_p50': 6.0, 'active_ratio_p95': 6.67,
            'first_reply_ratio_p50': 5.0, 'first_reply_ratio_p95': 6.29,
            'spawn_ports_s': {'p50': 0.6}, 'spawn_driver_s': {'p50': 0.5},
            'spawn_events_s': {'p50': 0.2},
            'nova_outside_spawn_s': {'p50': 0.2}, 'driver_ratio_p50': 2.0,
            'nova_without_port_active_s': {'p50': 0.75},
            'neutron_port_up_s': {'p50': 0.5},
            'active_over_floors_ratio_p50': 1.2,
            'targets': {'active_ratio_p50': 3.0,
                        'first_reply_ratio_p50': 4.0,
                        'driver_ratio_p50': 3.0},
            'machine': MACHINE, 'measured_at': '2026-12-04T17:04:00Z',
            'duration_s': 90},
        'aio_lb': {
            'rounds': 7, 'requests': 200, 'tput_rounds': 5,
            'port_create_s': {'p50': 0.4, 'p95': 0.5},
            'lb_active_s': {'p50': 1.2, 'p95': 1.5},
            'lb_serving_s': {'p50': 1.6, 'p95': 2.5},
            'serving_ratio_p50': 4.0, 'serving_ratio_p95': 5.0,
            'direct_rps': {'p50': 100.0}, 'vip_rps': {'p50': 75.0},
            'throughput_ratio_p50': 0.75,
            'targets': {'serving_ratio_p50': 5.0, 'serving_p50_s': 5.0,
                        'throughput_ratio_p50': 0.8},
            'machine': MACHINE, 'measured_at': '2026-12-04T17:05:00Z',
            'duration_s': 100},
        'aio_dashboard': {
            'rounds': 15, 'instances': 50, 'page_size': 100,
            'boot_all_active_s': 90.0,
            'page_1_instance_s': {'p50': 1.2, 'p95': 1.5},
            'page_many_instances_s': {'p50': 4.0, 'p95': 4.4},
            'ratio_p50': 3.33, 'ratio_p95': 2.93,
            'targets': {'ratio_p50': 3.0}, 'machine': MACHINE,
            'measured_at': '2026-12-04T17:06:00Z', 'duration_s': 300},
        'scheduler': {
            'targets': {'packing_over_ffd': 1.05,
                        'reclaim_within': 'grace + one cycle'},
            'cost': {'1000': cost(0.71, 0.05, 13.2, 2.5, 1.2),
                     '10000': cost(0.88, 0.07, 11.0, 23.4, 15.1),
                     '5000': cost(0.75, 0.06, 16.0, 11.0, 7.0)},
            'packing': {'instances': 1200, 'ratio_binpack_over_ffd': 0.981,
                        'ratio_nova_default_over_ffd': 1.899,
                        'binpack_hosts': 155, 'ffd_hosts': 158},
            'reclaim': {'grace_s': 4.0, 'interval_s': 1.0,
                        'ratio_freed_over_target': 0.85},
            'reclaim_12s': {'grace_s': 12.0, 'interval_s': 3.0,
                            'ratio_freed_over_target': 0.82},
            'machine': MACHINE, 'measured_at': '2026-12-04T17:20:00Z',
            'duration_s': 410, 'load_average_at_start': [6.5, 4.25, 3]},
        'heat': {
            'containers': 50, 'rounds': 3,
            'raw_create_s': [4.0, 4.2, 4.1], 'raw_delete_s': [2.0, 2.2, 2.1],
            'stack_create_s': [5.0, 5.6, 5.2],
            'stack_delete_s': [3.5, 3.3, 3.4],
            'create_ratio': 1.27, 'delete_ratio': 1.62, 'target_ratio': 1.5,
            'machine': MACHINE, 'measured_at': '2026-12-04T17:30:00Z',
            'duration_s': 120},
        'bay': {
            'bay_create_to_healthy_s': {'p50': 2.2, 'p95': 2.5, 'n': 3,
                                        'mean': 2.3},
            'direct_swarm_init_join_s': {'p50': 2.0, 'p95': 2.1, 'n': 3,
                                         'mean': 2.0},
            'ratio_bay_to_direct_p50': 1.1, 'target_ratio_max': 1.3,
            'target_seconds_max': 15.0, 'nodes': 3, 'rounds': 3,
            'idle_node_rss_max_mib': 123.2, 'idle_node_pss_max_mib': 70.0,
            'idle_node_uss_max_mib': 40.5, 'target_node_rss_mib_max': 80.0,
            'machine': MACHINE, 'measured_at': '2026-12-04T17:40:00Z',
            'duration_s': 70},
        'density': {
            'instances': 200, 'inflight': 8,
            'plain': {'host_mib_per_instance': 20.0, 'host_ratio': 1.25,
                      'nova_compute_mib_per_100': 4.5,
                      'engine_mib_per_100': 3.0,
                      'ovn_controller_mib_per_100': 0.0},
            'ported': {'host_mib_per_instance': 24.0, 'host_ratio': 1.5,
                       'nova_compute_mib_per_100': 6.0,
                       'engine_mib_per_100': 3.0,
                       'ovn_controller_mib_per_100': 5.0},
            'baseline': {'host_mib_per_instance': 16.0,
                         'engine_mib_per_100': 2.0},
            'targets': {'nova_compute_mib_per_100': 5.0, 'host_ratio': 1.2},
            'machine': MACHINE, 'measured_at': '2026-12-04T17:45:00Z',
            'duration_s': 600},
        'load': {
            'servers': 50, 'single_rounds': 5,
            'single_boot_s': {'p50': 2.5, 'p95': 2.6, 'n': 5, 'mean': 2.5},
            'burst_boot_s': {'p50': 40.0, 'p95': 60.0, 'n': 50,
                             'mean': 41.0},
            'burst_slowest_s': 61.0, 'burst_p95_over_single_p50': 24.0,
            'servers_per_host': {'compute1': 25, 'compute2': 25},
            'machine': MACHINE, 'measured_at': '2026-12-04T17:50:00Z',
            'duration_s': 200},
        'aio_autoscale': {
            'rounds': 3, 'poll_interval_s': 10, 'evaluation_interval_s': 10,
            'scrape_interval_s': 5, 'boot_s': {'p50': 3.5},
            'reaction_s': {'p50': 40.0}, 'baseline_p50_s': 23.5,
            'reaction_ratio_p50': 1.70, 'signal_to_active_s': {'p50': 9.0},
            'reaction_over_heat_ratio_p50': 1.38,
            'targets': {'reaction_ratio_p50': 1.5, 'reaction_p50_s': 45.0},
            'machine': MACHINE, 'measured_at': '2026-12-04T17:56:00Z',
            'duration_s': 600},
        'rolling': {
            'members': 10, 'rounds': 2, 'max_batch_size': 1,
            'raw_cycles_s': [14.0, 15.0], 'rolling_update_s': [42.0, 43.0],
            'heat_floor_s': [30.0, 31.0], 'ratio': 2.93,
            'ratio_over_floor': 0.95, 'target_ratio': 1.3,
            'machine': MACHINE, 'measured_at': '2026-12-04T17:55:00Z',
            'duration_s': 150},
        'soak': {
            'cycles': 12, 'stacks': 3, 'seconds': 120.0,
            'kinds': {'networked': 3, 'config_drive': 3, 'resized': 3,
                      'snapshotted': 3},
            'leftovers': {'neutron ports': ['p1']}, 'leftover_count': 1,
            'middle_leftovers': 0,
            'rss_growth_middle_to_end_pct': {'nova-api': 1.0,
                                             'neutron': 2.5},
            'fd_growth': {}, 'thread_growth': {},
            'rss_mib': {'start': {'neutron': 200.0},
                        'end': {'neutron': 205.0}},
            'worst_rss_growth': {'service': 'neutron', 'pct': 2.5},
            'faults': [{'kind': 'engine_restarted', 'cycle': 3, 'active': 0,
                        'restarted': 2, 'error': None, 'seconds': 30.0},
                       {'kind': 'mariadb_restarted', 'cycle': 6,
                        'active': 2, 'restarted': 0, 'error': None,
                        'seconds': 5.0}],
            'faults_failed': 0,
            'targets': {'leftover_count': 0, 'rss_growth_pct_max': 5.0,
                        'faults_failed': 0},
            'machine': MACHINE, 'measured_at': '2026-12-04T17:55:00Z',
            'duration_s': 150},
    }


README = '''# project

Intro text that stays.

%s
old table row
%s

## After

More text that stays.
''' % (perf_page.BEGIN, perf_page.END)


@pytest.fixture
def files(tmp_path):
    summary = tmp_path / 'summary.json'
    summary.write_text(json.dumps(_summary()))
    readme = tmp_path / 'README.md'
    readme.write_text(README)
    page = tmp_path / 'performance.md'
    return summary, readme, page


def _render(files, *extra):
    summary, readme, page = files
    rc = perf_page.main(['--summary', str(summary), '--readme', str(readme),
                         '--page', str(page)] + list(extra))
    return rc, readme.read_text(), (page.read_text() if page.exists()
                                    else None)


def _render_summary(tmp_path, summary):
    """The README and page text rendered from ``summary``."""
    path = tmp_path / 'summary.json'
    path.write_text(json.dumps(summary))
    readme = tmp_path / 'README.md'
    readme.write_text(README)
    page = tmp_path / 'performance.md'
    assert perf_page.main(['--summary', str(path), '--readme', str(readme),
                           '--page', str(page)]) == 0
    return readme.read_text(), page.read_text()


def _row(text, start):
    (line,) = [ln for ln in text.splitlines() if ln.startswith('| ' + start)]
    return [cell.strip() for cell in line.strip('|').split('|')]


def test_readme_table_has_every_headline_with_its_target_and_verdict(files):
    rc, readme, _page = _render(files)
    assert rc == 0
    spawn = _row(readme, 'Nova driver spawn')
    assert spawn[1:] == ['x1.07 (0.160 s / 0.150 s)', '<= x1.10', 'yes']
    boot = _row(readme, 'Nova API boot to ACTIVE')
    assert boot[1:] == ['x3.20 (0.480 s)', '<= x3.00', 'no']
    assert _row(readme, 'the same boot on the all-in-one')[2:] == [
        '<= x3.00', 'yes']
    assert _row(readme, 'all-in-one boot with a Neutron (ML2/OVN) port to ACTIVE')[1:] == [
        'x6.00 (1.500 s / 0.250 s)', '<= x3.00', 'no']
    assert _row(readme, 'all-in-one boot with a Neutron (ML2/OVN) port to first')[1:] == [
        'x5.00 (1.500 s / 0.300 s)', '<= x4.00', 'no']
    assert _row(readme, "the driver's own part of that boot")[1:] == [
        'x2.00 (0.500 s; ports 0.600 s, network-vif-plugged 0.200 s, '
        'Nova outside spawn 0.200 s)', '<= x3.00', 'yes']
    assert _row(readme, 'that boot to ACTIVE / (Nova')[1:] == [
        'x1.20 (1.500 s / (0.750 s + 0.500 s))', 'report', '']
    assert _row(readme, 'all-in-one load balancer')[1:] == [
        'x4.00 (1.60 s / 0.400 s)', '<= x5.00, < 5 s', 'yes']
    assert _row(readme, 'requests per second through that VIP')[1:] == [
        'x0.75 (75/s / 100/s)', '>= x0.80', 'no']
    assert _row(readme, 'all-in-one dashboard: the instances page')[1:] == [
        'x3.33 (4.00 s / 1.20 s)', '<= x3.00', 'no']
    filters = _row(readme, 'scheduler filters, µs per host')
    assert '1k / 5k / 10k' in filters[0]  # sizes in numeric order
    assert filters[1:] == [
        'ArchitectureFilter 0.71 / 0.75 / 0.88; TenantShareFilter '
        '0.05 / 0.06 / 0.07', 'report', '']
    assert _row(readme, 'scheduler filters, cheaper')[1:] == [
        '13.2x / 16.0x / 11.0x', 'report', '']
    path = _row(readme, '10k hosts filtered and weighed')
    assert path[1].startswith('23.4 ms')
    assert '15.1 ms' in path[1]
    assert path[2:] == ['report', '']
    assert _row(readme, 'bin packing')[1:] == [
        "x0.98 (Nova's default weighers x1.90)", '<= x1.05', 'yes']
    reclaim = _row(readme, 'reclaim')
    assert reclaim[1] == 'x0.85 (4 s / 1 s), x0.82 (12 s / 3 s)'
    assert reclaim[3] == 'yes'
    assert _row(readme, 'Heat stack of 50 containers, create')[1:] == [
        'x1.27 (5.20 s / 4.10 s)', '<= x1.50', 'yes']
    assert _row(readme, 'Heat stack of 50 containers, delete')[3] == 'no'
    assert _row(readme, 'swarm-mode bay of 3 nodes')[1:] == [
        'x1.10 (2.2 s)', '<= x1.30, < 15 s', 'yes']
    assert _row(readme, 'nova-compute RSS growth per 100')[1:] == [
        '4.5 MiB / 6 MiB', '<= 5 MiB', 'no']
    assert _row(readme, 'a swarm-mode bay node at rest')[1:] == [
        '123 MiB (70 / 40.5 MiB)', '<= 80 MiB', 'no']
    assert _row(readme, 'all-in-one autoscaling: CPU load')[1:] == [
        'x1.70 (40.0 s / 23.5 s)', '<= x1.50, < 45 s', 'no']
    assert _row(readme, 'the same reaction / (poll + evaluation')[1:] == [
        'x1.38 (40.0 s / (20 s + 9.0 s))', '<= x1.50', 'yes']
    assert _row(readme, 'rolling release of 10 containers')[1:] == [
        'x2.93 (42.5 s / 14.5 s)', '<= x1.30', 'no']
    assert _row(readme, 'the same update / (the direct cycles')[1:] == [
        'x0.95 (42.5 s / (14.5 s + 30.5 s))', '<= x1.30', 'yes']
    assert _row(readme, "the same node's PSS")[1:] == [
        '70 MiB', '<= 80 MiB', 'yes']
    assert _row(readme, 'soak of 12 boot/delete cycles')[1:] == [
        '1 (neutron ports)', '0', 'no']
    assert _row(readme, 'the same soak: faults injected (engine restarted, '
                'mariadb restarted)')[1:] == ['0 of 2', '0', 'yes']
    assert _row(readme, 'the same soak: largest RSS growth')[1:] == [
        '+2.5% (neutron)', '<= 5%', 'yes']
    assert _row(readme, '50 networked boots at once')[1:] == [
        'x24.00 (p50 40.0 s, p95 60.0 s, slowest 61.0 s; alone 2.50 s)',
        'report', '']
    assert _row(readme, 'host memory per container instance')[1:] == [
        'x1.25 (20 MiB / 16 MiB; with a port 24 MiB)', '<= x1.20', 'no']
    assert 'Measured 2026-12-04 on 2 CPUs, Test CPU @ 2.0GHz, 23.5 GiB' \
        in readme


def test_readme_outside_the_markers_is_kept_and_rendering_is_stable(files):
    _rc, readme, _page = _render(files)
    assert 'old table row' not in readme
    before, rest = readme.split(perf_page.BEGIN)
    _table, after = rest.split(perf_page.END)
    assert before == '# project\n\nIntro text that stays.\n\n'
    assert after == '\n\n## After\n\nMore text that stays.\n'
    _rc, again, page = _render(files)
    assert again == readme
    assert _render(files)[2] == page


def test_page_shows_every_figure_date_and_machine(files):
    _rc, _readme, page = _render(files)
    for name in ('nova_driver', 'aio_boot', 'aio_net', 'scheduler', 'heat',
                 'bay'):
        assert '## `%s` (`tests/bench/bench_%s.py`)' % (name, name) in page
    assert ('Measured 2026-12-04 17:20 UTC in 410 s, load average 6.5 4.25 '
            '3 at its start.') in page
    assert '`load_average_at_start`' not in page
    # How each is measured: the benchmark module's own description.
    assert 'Baseline, same run, same engine and image' in page
    assert 'load average 0.5 0.4 0.3 at the start' in page
    assert ('2 CPUs, Test CPU @ 2.0GHz, 23.5 GiB, Debian GNU/Linux 12 '
            '(bookworm), kernel 6.18.0, Python 3.11.2, Docker Engine '
            '20.10.24') in page
    # Nested figures appear under dotted names; lists in full.
    assert '| `cost.10000.floor_ms` | 15.1 |' in page
    assert '| `packing.binpack_hosts` | 155 |' in page
    assert '| `stack_create_s` | 5, 5.6, 5.2 |' in page
    assert '| `targets.reclaim_within` | grace + one cycle |' in page
    assert '| `machine.python_loop_s` | 0.131 |' in page
    assert page.index('## `nova_driver`') < page.index('## `scheduler`') \
        < page.index('## `bay`')


def test_a_long_series_is_summarised():
    rows = dict(perf_page.flatten({'s': [float(i) for i in range(1, 21)]}))
    assert rows['s'] == 'n=20, median 10.5, min 1, max 20'


def test_unknown_or_changed_benchmarks_are_said_so_not_dropped(files):
    summary, _readme, _page = files
    data = _summary()
    data['newbench'] = {'speed_ratio': 1.5, 'measured_at': '2026-12-05T01:00:00Z'}
    del data['heat']['create_ratio']
    summary.write_text(json.dumps(data))
    rc, readme, page = _render(files)
    assert rc == 0
    assert '`newbench`: see doc/performance.md' in readme
    assert '| `speed_ratio` | 1.5 |' in page
    assert ("`heat`: figures not in the form tools/perf_page.py reads "
            "(KeyError: 'create_ratio')") in readme
    assert 'Measured 2026-12-04 to 2026-12-05' in readme


def test_missing_markers_fail_naming_the_file_and_write_nothing(files,
                                                                 capsys):
    summary, readme, page = files
    readme.write_text('# project\n\nno markers\n')
    rc, text, written = _render(files)
    assert rc == 1
    err = capsys.readouterr().err
    assert str(readme) in err and 'perf-table' in err
    assert text == '# project\n\nno markers\n'
    assert written is None


def test_no_summary_is_refused_unless_asked_for_an_empty_page(files, capsys):
    summary, readme, page = files
    os.unlink(summary)
    rc, text, written = _render(files)
    assert rc == 1
    assert 'run `make bench` first' in capsys.readouterr().err
    assert text == README and written is None
    rc, text, written = _render(files, '--no-figures')
    assert rc == 0
    assert 'No benchmark figures on this checkout yet' in text
    assert 'No benchmark has run on this checkout yet' in written


def test_a_partial_bench_run_keeps_the_other_benchmarks():
    old = _summary()
    new = {'heat': dict(old['heat'], create_ratio=1.1,
                        measured_at='2026-12-05T09:00:00Z')}
    host = {'cpus': 4}
    merged = run_bench.merge(old, new, host)
    assert merged['heat']['create_ratio'] == 1.1
    assert merged['bay'] == old['bay']
    assert merged['_host'] == host
    assert old['heat']['create_ratio'] == 1.27  # the old one untouched


def test_host_facts_name_the_machine():
    facts = run_bench.host_facts()
    assert facts['cpus'] == os.cpu_count()
    assert facts['kernel'] and facts['python'].startswith('3.')
    assert facts['memory_gib'] > 0


def test_scheduler_end_to_end_rows(tmp_path):
    summary = _summary()
    sched = summary['scheduler']
    sched['targets'].update(e2e_builtin_over_ours_10k=3.0,
                            e2e_plugins_share=0.10)
    sched['end_to_end'] = {
        '10000': {'a_over_b_sum_p50': 3.4, 'plugins_share_max': 0.08,
                  'sum_p50_ms': {'a_builtin': 6800.0,
                                 'b_ours_prefilters': 2000.0,
                                 'c_ours_no_prefilters': 7000.0}},
        '1000': {'a_over_b_sum_p50': 2.5, 'plugins_share_max': 0.21,
                 'sum_p50_ms': {'a_builtin': 5000.0,
                                'b_ours_prefilters': 2000.0,
                                'c_ours_no_prefilters': 5500.0}}}
    readme, page = _render_summary(tmp_path, summary)
    text = readme
    e2e = _row(text, '`select_destinations` end to end')
    assert '1k / 10k providers' in e2e[0]
    assert e2e[1:] == [
        'x2.50 / x3.40 (10k: 6800 ms / 2000 ms; ours without prefilters '
        '7000 ms)', '>= x3.00 at 10k', 'yes']
    share = _row(text, "our plug-ins' share")
    assert share[1:] == ['21% / 8%', '<= 10%', 'no']


def test_the_full_soak_keeps_its_own_rows_next_to_the_short_one(tmp_path):
    summary = _summary()
    summary['soak_full'] = dict(summary['soak'], cycles=1000, stacks=200,
                                workers=4, leftovers={}, leftover_count=0)
    readme, page = _render_summary(tmp_path, summary)
    text = readme
    assert _row(text, 'soak of 12 boot/delete cycles')[1:] == [
        '1 (neutron ports)', '0', 'no']
    assert _row(text, 'soak of 1000 boot/delete cycles (networked, config '
                'drive, resized, snapshotted; 4 at a time) and 200 Heat '
                'stacks')[1:] == ['0', '0', 'yes']
    body = page
    # Its section names the module that measures it, and its description.
    assert '## `soak_full` (`tests/bench/bench_soak.py`)' in body
    assert body.count('Bench: a soak of the all-in-one') == 2


def test_a_short_soak_reports_rss_growth_without_judging_it(tmp_path):
    summary = _summary()
    summary['soak'] = dict(
        summary['soak'], worst_rss_growth={'service': 'nova-api',
                                           'pct': 5.7},
        targets=dict(summary['soak']['targets'], rss_growth_pct_max=None))
    summary['soak_full'] = dict(summary['soak'], cycles=1000, stacks=200,
                                worst_rss_growth={'service': 'neutron',
                                                  'pct': 5.2},
                                targets=_summary()['soak']['targets'])
    readme, _page = _render_summary(tmp_path, summary)
    short, full = [line for line in readme.splitlines()
                   if 'largest RSS growth' in line]
    cells = [[c.strip() for c in line.strip('|').split('|')][1:]
             for line in (short, full)]
    assert cells == [['+5.7% (nova-api)', 'report (too few cycles to judge)',
                      ''], ['+5.2% (neutron)', '<= 5%', 'no']]


def test_a_benchmark_files_its_figures_under_the_name_it_gives(
        tmp_path, monkeypatch):
    bench = tmp_path / 'tests' / 'bench'
    bench.mkdir(parents=True)
    (bench / 'bench_fake.py').write_text(
        'import json, os\n'
        'json.dump({"summary_key": "fake_full", "x": 1},'
        ' open(os.environ["BENCH_OUT"], "w"))\n')
    (bench / '__init__.py').write_text('')
    (tmp_path / 'tests' / '__init__.py').write_text('')
    monkeypatch.setattr(run_bench, 'ROOT', str(tmp_path))
    monkeypatch.setattr(perf_page, 'SUMMARY', str(tmp_path / 's.json'))
    monkeypatch.setattr(perf_page, 'main', lambda argv: 0)
    monkeypatch.setenv('DOS_STATE', str(tmp_path / 'state'))
    assert run_bench.main(['fake']) == 0
    written = json.loads((tmp_path / 's.json').read_text())
    assert written['fake_full']['x'] == 1
    assert 'summary_key' not in written['fake_full']
    assert 'fake' not in written


def test_growth_proven_another_projects_is_reported_apart(tmp_path):
    summary = _summary()
    summary['soak_full'] = dict(
        summary['soak'], cycles=1000, stacks=200,
        worst_rss_growth={'service': 'mariadb', 'pct': 3.1},
        fd_growth={'heat-engine': 200, 'nova-api': 4, 'neutron': -2},
        attributed={'heat-engine': {'rss_pct': 13.1, 'fds': 200,
                                    'cause': 'Heat keeps its threads'}},
        targets=_summary()['soak']['targets'])
    readme, _page = _render_summary(tmp_path, summary)
    worst = [line for line in readme.splitlines()
             if 'largest RSS growth' in line][-1]
    assert '(heat-engine apart, below)' in worst
    assert _row(readme, 'the same soak: heat-engine, set apart')[1:] == [
        'RSS +13.1%, fds +200', 'report', '']
    assert _row(readme, 'the same soak: file descriptors gained')[1:] == [
        'nova-api +4, neutron -2', 'report', '']


def test_benchmarks_are_chosen_by_their_name_not_their_folder():
    paths = ['/tmp/soak/tests/bench/bench_aio_boot.py',
             '/tmp/soak/tests/bench/bench_soak.py',
             '/tmp/soak/tests/bench/bench_heat.py']
    assert run_bench.selected(paths, ['soak']) == [paths[1]]
    assert run_bench.selected(paths, ['heat', 'boot']) == [paths[0], paths[2]]
    assert run_bench.selected(paths, []) == paths
