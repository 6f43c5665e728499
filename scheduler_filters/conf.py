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

"""Options of the scheduler filters, weighers and the reclaim service.

``register_opts(conf)`` adds them to a ConfigOpts (Nova's CONF in the
scheduler, a private one in the reclaim service); ``list_opts`` feeds
oslo-config-generator through the ``oslo.config.opts`` entry point.
"""

from oslo_config import cfg

SCHED_GROUP = 'docker_scheduler'
RECLAIM_GROUP = 'docker_share_reclaim'

scheduler_opts = [
    cfg.StrOpt('share_plan_file',
               help='YAML share plan (version 1) for TenantShareFilter and '
                    'TenantShareWeigher. Unset: no share rules, every '
                    'project passes.'),
    cfg.FloatOpt('share_plan_check_interval', default=5.0, min=0,
                 help='Seconds between checks of the plan file for '
                      'changes. A broken new plan is refused and the last '
                      'good one kept.'),
    cfg.FloatOpt('usage_cache_seconds', default=0.0, min=0,
                 help='How long per-project usage read from placement is '
                      'reused across requests. 0: one query set per '
                      'instance being scheduled, shared by the filter and '
                      'the weigher.'),
    cfg.FloatOpt('capacity_cache_seconds', default=30.0, min=0,
                 help='How long the pool capacity (sum over compute nodes, '
                      'times allocation ratios) and the aggregate pools\' '
                      'members are reused. After that the next request '
                      'starts a new read in the background and uses the '
                      'last one meanwhile; 0: every request reads (and '
                      'waits).'),
    cfg.BoolOpt('read_image_platforms', default=True,
                help='Read the docker_platforms image property from the '
                     'image service (Nova drops unknown properties from '
                     'the request spec). Cached per image.'),
    cfg.StrOpt('packing_mode', default='pack', choices=('pack', 'spread'),
               help='BinPackWeigher: pack (fill hosts, fewest hosts used) '
                    'or spread. Anti-affinity groups always spread.'),
    cfg.FloatOpt('binpack_weight_multiplier', default=1.0,
                 help='Multiplier of BinPackWeigher (aggregate metadata '
                      'binpack_weight_multiplier overrides).'),
    cfg.FloatOpt('tenant_share_weight_multiplier', default=1.0,
                 help='Multiplier of TenantShareWeigher (aggregate metadata '
                      'tenant_share_weight_multiplier overrides).'),
    cfg.FloatOpt('emulation_weight_multiplier', default=10.0,
                 help='Multiplier of EmulationWeigher: high, so a native '
                      'host always wins over an emulating one.'),
]

reclaim_opts = [
    cfg.StrOpt('share_plan_file',
               help='The same share plan file the scheduler uses.'),
    cfg.FloatOpt('grace_period', default=120.0, min=0,
                 help='Seconds an owner\'s demand must stay unmet before '
                      'borrowed capacity is reclaimed (EGO default 120), '
                      'counted from the failed server\'s updated time '
                      '(whole seconds, rounded up). The service wakes '
                      'when it ends, not only at the next interval.'),
    cfg.FloatOpt('interval', default=30.0, min=0.1,
                 help='Seconds between regular reclaim cycles (fixed '
                      'rate). Between them the service also runs a cycle '
                      'when a pending demand\'s grace period ends.'),
    cfg.StrOpt('action', default='shelve',
               choices=('shelve', 'stop', 'delete'),
               help='What to do with a borrower\'s instance to reclaim it.'),
    cfg.BoolOpt('dry_run', default=False,
                help='Log and audit what would be done; change nothing.'),
    cfg.StrOpt('audit_log',
               help='JSON-lines file recording every decision and action.'),
    cfg.FloatOpt('demand_window', default=600.0, min=1,
                 help='Servers that failed with "No valid host" within this '
                      'many seconds count as unmet demand.'),
    cfg.StrOpt('priority_key', default='docker_share:priority',
               help='Instance metadata key with an integer priority; lower '
                    'is reclaimed first (default 0).'),
    cfg.BoolOpt('mark_borrowed', default=True,
                help='Set instance metadata docker_share:borrowed on '
                     'instances beyond their project\'s entitlement.'),
    cfg.FloatOpt('cpu_allocation_ratio', default=1.0, min=0.0001,
                 help='The computes\' cpu_allocation_ratio: the compute '
                      'API reports physical vCPUs, the scheduler sees '
                      'them times this ratio; set both alike.'),
    cfg.FloatOpt('ram_allocation_ratio', default=1.0, min=0.0001,
                 help='The computes\' ram_allocation_ratio (see '
                      'cpu_allocation_ratio).'),
    cfg.StrOpt('os_cloud',
               help='Cloud name in clouds.yaml for the compute API '
                    '(openstacksdk); unset: the OS_* environment.'),
    cfg.IntOpt('max_actions_per_cycle', default=20, min=1,
               help='Bound on reclaim actions in one cycle (YARN-style '
                    'bounded rounds).'),
]


def register_opts(conf):
    conf.register_opts(scheduler_opts, group=SCHED_GROUP)
    conf.register_opts(reclaim_opts, group=RECLAIM_GROUP)


def list_opts():
    return [(SCHED_GROUP, scheduler_opts), (RECLAIM_GROUP, reclaim_opts)]
