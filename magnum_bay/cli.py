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

"""docker-bay: cluster templates and clusters, in the style of ``openstack coe``.

    docker-bay cluster template create|list|show|delete
    docker-bay cluster create|list|show|update|resize|upgrade|repair|
                       rotate-ca|image-load|stats|delete|config
    docker-bay cluster nodegroup create|list|delete

Long operations wait by default and print progress on stderr; ``--no-wait``
hands the operation to a detached worker process and returns at once.
Errors print ``ERROR: ...`` naming the field and exit 1; an operation that
ends in *_FAILED exits 1 too.
"""

import argparse
import os
import subprocess
import sys
import time

from magnum_bay import conf as bay_conf
from magnum_bay import exception
from magnum_bay import fields
from magnum_bay import output

TEMPLATE_COLUMNS = ['uuid', 'name', 'coe', 'image_id', 'master_count',
                    'node_count', 'tls_disabled']
CLUSTER_COLUMNS = ['uuid', 'name', 'status', 'health_status', 'master_count',
                   'node_count']
NODEGROUP_COLUMNS = ['uuid', 'name', 'role', 'node_count', 'image_id',
                     'flavor_id', 'is_default']


def _node_count(attributes):
    """``node_count=N`` from ``cluster update <c> replace node_count=N``."""
    values = dict(a.split('=', 1) for a in attributes if '=' in a)
    unknown = set(values) - {'node_count'} or {
        a for a in attributes if '=' not in a}
    if unknown:
        raise exception.InvalidParameter(
            field=sorted(unknown)[0], reason='only node_count=N can be '
            'replaced (it resizes the default worker nodegroup)')
    try:
        return int(values['node_count'])
    except (KeyError, ValueError):
        raise exception.InvalidParameter(field='node_count',
                                         reason='must be an integer')


def _labels(text):
    out = {}
    for item in filter(None, (text or '').split(',')):
        if '=' not in item:
            raise argparse.ArgumentTypeError('label %r is not key=value'
                                             % item)
        key, value = item.split('=', 1)
        out[key.strip()] = value.strip()
    return out


def _parser():
    common = argparse.ArgumentParser(add_help=False)
    # SUPPRESS: a sub-command's own default must not undo a -f given
    # before the sub-command.
    common.add_argument('-f', '--format', dest='fmt',
                        default=argparse.SUPPRESS,
                        choices=('table', 'json', 'value'))
    p = argparse.ArgumentParser(prog='docker-bay', description=__doc__
                                .splitlines()[0], parents=[common])
    p.add_argument('--config-file', action='append', default=[])
    p.add_argument('--db', help='SQLAlchemy URL of the bay database')
    p.add_argument('--debug', action='store_true')
    top = p.add_subparsers(dest='noun', required=True)
    cluster = top.add_parser('cluster').add_subparsers(dest='verb',
                                                       required=True)

    template = cluster.add_parser('template').add_subparsers(
        dest='tverb', required=True)
    tc = template.add_parser('create', parents=[common])
    tc.add_argument('name')
    tc.add_argument('--coe', required=True)
    tc.add_argument('--image', dest='image_id',
                    help='node image (default: the COE\'s configured one, '
                    'e.g. [bay_swarm_mode] default_image)')
    tc.add_argument('--master-count', type=int)
    tc.add_argument('--node-count', type=int)
    tc.add_argument('--flavor', dest='flavor_id')
    tc.add_argument('--master-flavor', dest='master_flavor_id')
    tc.add_argument('--keypair', dest='keypair_id')
    tc.add_argument('--labels', type=_labels)
    tc.add_argument('--tls-disabled', action='store_true', default=None)
    tc.add_argument('--public', action='store_true', default=None)
    tc.add_argument('--hidden', action='store_true', default=None)
    tc.add_argument('--registry-enabled', action='store_true', default=None)
    tc.add_argument('--master-lb-enabled', action='store_true', default=None)
    for opt in ('network-driver', 'volume-driver', 'docker-storage-driver',
                'dns-nameserver', 'http-proxy', 'https-proxy', 'no-proxy',
                'server-type', 'external-network', 'fixed-network',
                'fixed-subnet', 'insecure-registry', 'tags', 'driver'):
        tc.add_argument('--' + opt)
    tc.add_argument('--docker-volume-size', type=int)
    tc.add_argument('--apiserver-port', type=int)
    template.add_parser('list', parents=[common])
    ts = template.add_parser('show', parents=[common])
    ts.add_argument('template')
    td = template.add_parser('delete', parents=[common])
    td.add_argument('templates', nargs='+')

    cc = cluster.add_parser('create', parents=[common])
    cc.add_argument('name')
    cc.add_argument('--cluster-template', required=True)
    cc.add_argument('--master-count', type=int)
    cc.add_argument('--node-count', type=int)
    cc.add_argument('--timeout', dest='create_timeout', type=int,
                    help='minutes')
    cc.add_argument('--labels', type=_labels)
    cc.add_argument('--flavor', dest='flavor_id')
    cc.add_argument('--master-flavor', dest='master_flavor_id')
    cc.add_argument('--keypair')
    cc.add_argument('--docker-volume-size', type=int)
    cluster.add_parser('list', parents=[common])
    cs = cluster.add_parser('show', parents=[common])
    cs.add_argument('cluster')
    cs.add_argument('--no-refresh', action='store_true',
                    help='do not ask the bay for its health first')
    cr = cluster.add_parser('resize', parents=[common])
    cr.add_argument('cluster')
    cr.add_argument('node_count', type=int)
    cr.add_argument('--nodes-to-remove', type=lambda s: s.split(','),
                    default=[])
    cr.add_argument('--nodegroup')
    cu = cluster.add_parser('upgrade', parents=[common])
    cu.add_argument('cluster')
    cu.add_argument('cluster_template')
    cu.add_argument('--max-batch-size', type=int, default=1)
    cu.add_argument('--nodegroup')
    for verb in ('repair', 'rotate-ca'):
        cluster.add_parser(verb, parents=[common]).add_argument('cluster')
    cup = cluster.add_parser('update', parents=[common])
    cup.add_argument('cluster')
    cup.add_argument('op', choices=('replace',))
    cup.add_argument('attributes', nargs='+', metavar='node_count=N',
                     help='only node_count can be changed (a resize)')
    cluster.add_parser('stats', parents=[common]).add_argument('cluster')
    ng = cluster.add_parser('nodegroup').add_subparsers(dest='nverb',
                                                        required=True)
    ngc = ng.add_parser('create', parents=[common])
    ngc.add_argument('cluster')
    ngc.add_argument('name')
    ngc.add_argument('--node-count', type=int, default=1)
    ngc.add_argument('--image', dest='image_id')
    ngc.add_argument('--flavor', dest='flavor_id')
    ngc.add_argument('--labels', type=_labels)
    ng.add_parser('list', parents=[common]).add_argument('cluster')
    ngd = ng.add_parser('delete', parents=[common])
    ngd.add_argument('cluster')
    ngd.add_argument('name')
    ci = cluster.add_parser('image-load', parents=[common])
    ci.add_argument('cluster')
    ci.add_argument('image')
    cd = cluster.add_parser('delete', parents=[common])
    cd.add_argument('clusters', nargs='+')
    cf = cluster.add_parser('config', parents=[common])
    cf.add_argument('cluster')
    cf.add_argument('--dir', default='.')
    cf.add_argument('--force', action='store_true')
    cf.add_argument('--renew', action='store_true',
                    help='issue a new client certificate')
    for sub in (cc, cr, cu, cd, ci, cup, ngc, ngd) + tuple(
            cluster.choices[v] for v in ('repair', 'rotate-ca')):
        sub.add_argument('--no-wait', action='store_true')
    return p


class _Progress:
    def __init__(self, stream):
        self.stream = stream
        self.start = time.monotonic()

    def __call__(self, cluster, message):
        name = cluster['name'] if cluster else '-'
        self.stream.write('[%5.1fs] %s: %s\n' % (
            time.monotonic() - self.start, name, message))
        self.stream.flush()


def _detach(argv):
    """Run the same command (waiting) in a detached process; return at once."""
    state = bay_conf.CONF.bay.state_dir
    os.makedirs(os.path.join(state, 'logs'), exist_ok=True)
    log = os.path.join(state, 'logs', 'op-%d.log' % int(time.time() * 1000))
    args = [a for a in argv if a != '--no-wait']
    with open(log, 'ab') as f:
        subprocess.Popen([sys.executable, '-m', 'magnum_bay.cli'] + args,
                         stdout=f, stderr=f, stdin=subprocess.DEVNULL,
                         start_new_session=True)
    return log


def _wait_for_row(svc, name, seconds=30):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            return svc.get_cluster(name)
        except exception.BayNotFound:
            time.sleep(0.2)
    raise exception.BayNotFound(name)


def main(argv=None, stdout=None, stderr=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    stdout = stdout or sys.stdout
    stderr = stderr or sys.stderr
    args = _parser().parse_args(argv)
    fmt = getattr(args, 'fmt', None) or 'table'
    conf = bay_conf.CONF
    conf([a for f in args.config_file for a in ('--config-file', f)],
         project='docker-bay', default_config_files=None if not
         args.config_file else args.config_file)
    if args.db:
        conf.set_override('connection', args.db, 'bay')
    from magnum_bay import service
    svc = service.BayService(conf, progress=_Progress(stderr))
    try:
        return _dispatch(svc, args, argv, fmt, stdout, stderr)
    except exception.BayError as e:
        stderr.write('ERROR: %s\n' % e)
        return 1
    finally:
        svc.close()


def _finished(cluster, fmt, stdout, stderr, svc):
    if cluster is None:
        return 0
    output.show(svc.with_counts(cluster), fmt, stdout)
    if cluster['status'] in fields.FAILED:
        stderr.write('ERROR: %s: %s\n' % (cluster['status'],
                                         cluster['status_reason']))
        return 1
    return 0


def _dispatch(svc, args, argv, fmt, stdout, stderr):
    if args.verb == 'template':
        return _template(svc, args, fmt, stdout, stderr)
    wait = not getattr(args, 'no_wait', False)
    if args.verb == 'list':
        rows = [svc.with_counts(c) for c in svc.list_clusters()]
        output.listing(rows, CLUSTER_COLUMNS, fmt, stdout)
        return 0
    if args.verb == 'show':
        output.show(svc.get_cluster(args.cluster,
                                    refresh=not args.no_refresh), fmt, stdout)
        return 0
    if args.verb == 'config':
        return _config(svc, args, stdout, stderr)
    if args.verb == 'stats':
        rows = [{'metric': k, 'value': v, 'unit': u}
                for k, (v, u) in sorted(svc.monitor(args.cluster).items())]
        output.listing(rows, ['metric', 'value', 'unit'], fmt, stdout)
        return 0
    if args.verb == 'nodegroup' and args.nverb == 'list':
        output.listing(svc.list_nodegroups(args.cluster), NODEGROUP_COLUMNS,
                       fmt, stdout)
        return 0
    if not wait:
        log = _detach(argv)
        stderr.write('running in the background; log: %s\n' % log)
        if args.verb == 'create':
            output.show(_wait_for_row(svc, args.name), fmt, stdout)
        return 0
    if args.verb == 'create':
        keys = ('master_count', 'node_count', 'create_timeout', 'labels',
                'flavor_id', 'master_flavor_id', 'keypair',
                'docker_volume_size')
        cluster = svc.create_cluster(
            args.name, args.cluster_template,
            **{k: getattr(args, k) for k in keys})
    elif args.verb == 'resize':
        cluster = svc.resize_cluster(args.cluster, args.node_count,
                                     args.nodes_to_remove, args.nodegroup)
    elif args.verb == 'upgrade':
        cluster = svc.upgrade_cluster(args.cluster, args.cluster_template,
                                      args.max_batch_size, args.nodegroup)
    elif args.verb == 'update':
        cluster = svc.resize_cluster(args.cluster, _node_count(
            args.attributes))
    elif args.verb == 'nodegroup' and args.nverb == 'create':
        cluster = svc.create_nodegroup(
            args.cluster, args.name, args.node_count, args.image_id,
            args.flavor_id, labels=args.labels)
    elif args.verb == 'nodegroup':
        cluster = svc.delete_nodegroup(args.cluster, args.name)
    elif args.verb == 'repair':
        cluster = svc.repair_cluster(args.cluster)
    elif args.verb == 'rotate-ca':
        cluster = svc.rotate_ca(args.cluster)
    elif args.verb == 'image-load':
        svc.load_image(args.cluster, args.image)
        stdout.write('loaded %s into %s\n' % (args.image, args.cluster))
        return 0
    elif args.verb == 'delete':
        rc = 0
        for ident in args.clusters:
            left = svc.delete_cluster(ident)
            if left is not None:
                rc = _finished(left, fmt, stdout, stderr, svc) or 1
            else:
                stdout.write('deleted %s\n' % ident)
        return rc
    return _finished(cluster, fmt, stdout, stderr, svc)


def _template(svc, args, fmt, stdout, stderr):
    if args.tverb == 'list':
        output.listing(svc.list_templates(), TEMPLATE_COLUMNS, fmt, stdout)
    elif args.tverb == 'show':
        output.show(svc.get_template(args.template), fmt, stdout)
    elif args.tverb == 'delete':
        for ident in args.templates:
            svc.delete_template(ident)
            stdout.write('deleted %s\n' % ident)
    else:
        values = {k: v for k, v in vars(args).items() if v is not None and k
                  not in ('fmt', 'config_file', 'db', 'debug', 'noun',
                          'verb', 'tverb', 'external_network')}
        if args.external_network:
            values['external_network_id'] = args.external_network
        output.show(svc.create_template(**values), fmt, stdout)
    return 0


def _config(svc, args, stdout, stderr):
    files = svc.config_files(args.cluster, renew=args.renew)
    # Swarm nodes run with every capability and the host's cgroup tree:
    # whoever holds these credentials can become root on the Docker host.
    stderr.write('WARNING: these credentials control the bay\'s nodes, '
                 'which run with near-privileged rights on the Docker '
                 'host; hand them to administrators only.\n')
    os.makedirs(args.dir, exist_ok=True)
    for name in files:
        path = os.path.join(args.dir, name)
        if os.path.exists(path) and not args.force:
            raise exception.InvalidParameter(
                field='dir', reason='%s exists (use --force to overwrite)'
                % path)
    for name, text in files.items():
        path = os.path.join(args.dir, name)
        # Only the owner may read what holds a private key.
        mode = 0o600 if name.endswith('key.pem') or name == 'config' \
            else 0o644
        if os.path.exists(path):
            os.unlink(path)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
        with os.fdopen(fd, 'w') as f:
            f.write(text)
    env = os.path.join(os.path.abspath(args.dir), 'env.sh')
    if os.path.exists(env):
        stdout.write('source %s\n' % env)
    else:
        stdout.write('files written to %s: %s\n' % (
            os.path.abspath(args.dir), ', '.join(sorted(files))))
    return 0


if __name__ == '__main__':
    sys.exit(main())
