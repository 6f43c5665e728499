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

"""``docker-share-reclaim``: the reclaim service's command line.

    docker-share-reclaim --config-file /etc/nova/docker-share-reclaim.conf
    docker-share-reclaim --config-file ... --once --dry-run

Options live in ``[docker_share_reclaim]`` (see ``scheduler_filters.conf``).
It acts through the compute API with openstacksdk (clouds.yaml entry
``os_cloud`` or the OS_* environment) and needs an admin (or a role allowed
to list all projects' servers and to shelve/stop/delete them).
"""

import logging
import signal
import sys
import threading
import time

from oslo_config import cfg

from scheduler_filters import conf as sf_conf
from scheduler_filters import exception
from scheduler_filters.core import loader
from scheduler_filters.reclaim import audit as audit_mod
from scheduler_filters.reclaim import cloud as cloud_mod
from scheduler_filters.reclaim import engine

LOG = logging.getLogger(__name__)

cli_opts = [
    cfg.BoolOpt('once', default=False,
                help='Run one cycle and exit. The grace period counts from '
                     'the failed servers\' timestamps, so --once from cron '
                     'reclaims too; a cycle never reclaims when the failed '
                     'servers already fit.'),
    cfg.BoolOpt('dry-run', default=False,
                help='Override [docker_share_reclaim] dry_run to true.'),
]


def build(conf, cloud=None):
    """A Reclaimer from options; ``cloud`` defaults to the compute API."""
    opts = conf.docker_share_reclaim
    for opt in sf_conf.reclaim_opts:
        # oslo.config checks values on first access: check them all now.
        try:
            getattr(opts, opt.name)
        except ValueError as e:
            raise exception.ReclaimError(
                what='[docker_share_reclaim] %s' % opt.name,
                reason=str(e)) from None
    if not opts.share_plan_file:
        raise exception.ReclaimError(
            what='[docker_share_reclaim] share_plan_file',
            reason='not set')
    store = loader.store_for(
        opts.share_plan_file,
        option='[docker_share_reclaim] share_plan_file')
    store.get()  # fail at start-up, not at the first cycle
    if cloud is None:
        import openstack
        try:
            conn = openstack.connect(cloud=opts.os_cloud)
            adapter = conn.compute
        except Exception as e:
            raise exception.ReclaimError(
                what='compute API connection (os_cloud=%s)' % opts.os_cloud,
                reason=str(e)) from None
        cloud = cloud_mod.ComputeAPICloud(
            cloud_mod.KeystoneTransport(adapter),
            opts.cpu_allocation_ratio, opts.ram_allocation_ratio,
            images=_image_transport(conn))
    return engine.Reclaimer(
        cloud, store, grace_period=opts.grace_period, action=opts.action,
        dry_run=opts.dry_run or conf.dry_run,
        audit=audit_mod.AuditLog(opts.audit_log),
        demand_window=opts.demand_window, priority_key=opts.priority_key,
        mark_borrowed=opts.mark_borrowed,
        max_actions=opts.max_actions_per_cycle)


def _image_transport(conn):
    """Glance through the same connection; None (images' architectures
    not known) when the cloud has no image service in its catalog."""
    try:
        return cloud_mod.KeystoneTransport(conn.image, microversion=None)
    except Exception as e:
        LOG.warning('no image API (%s): demand counts in every pool '
                    'whatever its image\'s architecture', e)
        return None


#: Least time between the start of a cycle and an extra cycle for a grace
#: period's end: a guard against spinning, should a reclaimer keep
#: reporting a due time that is already past.
MIN_SPACING = 0.05
#: Wake this much after a due time, so the cycle surely finds it due.
_LATE = 0.001


def run(reclaimer, interval, stop, max_cycles=None):
    """Cycle every ``interval`` s (fixed rate: a slow cycle does not push
    the next one back by its own length) until ``stop`` is set; errors in
    one cycle are logged and the next cycle runs (the service stays up).

    Between regular cycles it also wakes when the earliest pending demand's
    grace period ends (``reclaimer.next_due()``), so a reclaim is not
    delayed by up to an interval; such extra cycles leave the regular
    schedule as it is. A due time woken for once does not wake it again,
    and extra cycles start at least ``MIN_SPACING`` s apart."""
    cycles = 0
    next_at = time.monotonic()  # the next regular cycle
    woke_for = None  # the due time (reclaimer's clock) last woken for
    while not stop.is_set():
        started = time.monotonic()
        regular = started >= next_at
        try:
            reclaimer.cycle()
        except Exception:
            LOG.exception('reclaim cycle failed; retrying next interval')
        cycles += 1
        if max_cycles is not None and cycles >= max_cycles:
            break
        if regular:
            next_at = max(next_at + interval, time.monotonic())
        wake, due = next_at, _next_due(reclaimer)
        if due is not None and (woke_for is None or due > woke_for):
            # Due times are on the reclaimer's clock: wait by difference.
            at = max(time.monotonic() + (due - reclaimer.clock()) + _LATE,
                     started + MIN_SPACING)
            if at < wake:
                wake = at
            else:
                due = None
        else:
            due = None
        if stop.wait(max(0.0, wake - time.monotonic())):
            break
        if due is not None and reclaimer.clock() >= due:
            woke_for = due
    return cycles


def _next_due(reclaimer):
    next_due = getattr(reclaimer, 'next_due', None)
    if next_due is None:
        return None
    try:
        return next_due()
    except Exception:
        LOG.exception('reclaim next_due failed; waiting for the interval')
        return None


def main(argv=None):
    conf = cfg.ConfigOpts()
    sf_conf.register_opts(conf)
    conf.register_cli_opts(cli_opts)
    conf(sys.argv[1:] if argv is None else argv,
         project='docker-share-reclaim')
    logging.basicConfig(level=logging.INFO,
                        format='%(asctime)s %(levelname)s %(name)s '
                               '%(message)s')
    try:
        reclaimer = build(conf)
    except exception.SchedulerFiltersError as e:
        LOG.error('%s', e)
        return 2
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    run(reclaimer, conf.docker_share_reclaim.interval, stop,
        max_cycles=1 if conf.once else None)
    return 0


if __name__ == '__main__':
    sys.exit(main())
