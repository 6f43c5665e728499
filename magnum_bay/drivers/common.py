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

"""Helpers every driver shares: flavors, node plans, parallel work, waits."""

import concurrent.futures
import time

from magnum_bay import exception
from magnum_bay import fields

MAX_PARALLEL = 8


def flavor_limits(conf, flavor_id, field='flavor_id'):
    """(mem_limit bytes, nano_cpus) of a configured flavor, or no limits."""
    if not flavor_id:
        return None, None
    flavors = conf.bay.flavors
    if flavor_id not in flavors:
        raise exception.InvalidParameter(
            field=field, reason='unknown flavor %r (known: %s)'
            % (flavor_id, ', '.join(sorted(flavors))))
    try:
        mem_mb, cpus = flavors[flavor_id].split(':')
        return int(mem_mb) * 1024 * 1024, int(float(cpus) * 1e9)
    except ValueError:
        raise exception.InvalidParameter(
            field=field, reason='flavor %r is misconfigured: %r'
            % (flavor_id, flavors[flavor_id]))


def parallel(func, items):
    """Run func over items on threads; re-raise the first error."""
    items = list(items)
    if len(items) <= 1:
        return [func(i) for i in items]
    with concurrent.futures.ThreadPoolExecutor(
            max_workers=min(MAX_PARALLEL, len(items))) as pool:
        return list(pool.map(func, items))


def wait_for(check, deadline, interval, what, seconds='its'):
    """Poll check() until it returns a true value; time out naming ``what``.

    check returns (done, detail); detail goes into the timeout message.
    """
    detail = None
    while True:
        done, detail = check()
        if done:
            return detail
        if time.monotonic() > deadline:
            raise exception.OperationTimeout(operation=what, seconds=seconds,
                                             reason=detail)
        time.sleep(interval)


def default_nodegroup(nodegroups, role):
    for ng in nodegroups:
        if ng['role'] == role and ng['is_default']:
            return ng
    for ng in nodegroups:
        if ng['role'] == role:
            return ng
    raise exception.BayError('no %s nodegroup' % role)


def role_of(nodegroup):
    return (fields.ROLE_MASTER if nodegroup['role'] == fields.ROLE_MASTER
            else fields.ROLE_WORKER)
