#!/bin/bash
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

#
# Run the plugin's phases the way stack.sh, unstack.sh and clean.sh call them,
# in one shell, with DevStack's helpers from functions.sh and DevStack's own
# steps in between (those that write or copy the files the plugin changes).
#
#   stack.sh <work dir> <step> [<step> ...]
#
# Steps: settings, pre-install, install, configure (DevStack's nova.conf,
# heat.conf and tempest.conf), post-config, start (DevStack's
# start_nova_compute: nova.conf copied to nova-cpu.conf), extra, test-config,
# unstack, clean; "stack" is all of them up to test-config.
#
# The environment chooses ENABLED_SERVICES, DOCKER_ENDPOINT, HARNESS_BIN
# (the folder get_python_exec_prefix names) and may change DevStack's own
# variables (Q_AGENT, OVSDB_SERVER_LOCAL_HOST, OVS_DATAPATH_TYPE, ...). Calls
# land in $WORK/calls.log; the services and Q_AGENT as the run left them in
# $WORK/services.env.
set -o errexit
set -o nounset
set -o pipefail

HARNESS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HARNESS_DIR/../../../.." && pwd)
WORK=$1
shift

export HARNESS_LOG=$WORK/calls.log
: > "$HARNESS_LOG"
# shellcheck source=functions.sh
source "$HARNESS_DIR/functions.sh"
set +o nounset

# What stackrc and lib/* define before plugins run.
DEST=$WORK/opt/stack
DATA_DIR=$DEST/data
STACK_USER=$(id -un)
NOVA_CONF_DIR=$WORK/etc/nova
NOVA_CONF=$NOVA_CONF_DIR/nova.conf
NOVA_CPU_CONF=$NOVA_CONF_DIR/nova-cpu.conf
HEAT_CONF=$WORK/etc/heat/heat.conf
# lib/neutron.
NEUTRON_CONF=$WORK/etc/neutron/neutron.conf
# Ceilometer's own DevStack plugin (devstack/settings).
CEILOMETER_CONF=$WORK/etc/ceilometer/ceilometer.conf
TEMPEST_CONFIG=$WORK/opt/stack/tempest/etc/tempest.conf
# lib/neutron_plugins/ml2 and ovn_agent (DevStack's default ML2/OVN; an
# empty OVSDB_SERVER_LOCAL_HOST stands for a host without it) and ovs_base.
Q_AGENT=${Q_AGENT:-ovn}
OVSDB_SERVER_LOCAL_HOST=${OVSDB_SERVER_LOCAL_HOST-127.0.0.1}
OVS_DATAPATH_TYPE=${OVS_DATAPATH_TYPE:-system}
NOVA_FILTERS="ComputeFilter,ComputeCapabilitiesFilter,ImagePropertiesFilter,ServerGroupAntiAffinityFilter,ServerGroupAffinityFilter,SameHostFilter,DifferentHostFilter"
VIRT_DRIVER=docker
SERVICE_HOST=${SERVICE_HOST:-127.0.0.1}
NOVA_SERIAL_ENABLED=${NOVA_SERIAL_ENABLED:-False}
ENABLED_SERVICES=${ENABLED_SERVICES:-key,n-api,n-cond,n-sch,n-cpu,placement-api,g-api,h-api,h-eng,tempest}
DISABLED_SERVICES=${DISABLED_SERVICES:-}
# The plugin's clone (enable_plugin puts it at $DEST/<name>).
DOS_DIR=$REPO
DOS_CONF_DIR=$WORK/etc/docker-on-openstack
DOS_CLI_LINK_DIR=$WORK/usr/local/bin
mkdir -p "$DEST" "$DATA_DIR" "$DOS_CLI_LINK_DIR"

PLUGIN=$REPO/devstack/plugin.sh

function devstack_configure {
    # lib/nova create_nova_conf (the parts the plugin touches).
    iniset "$NOVA_CONF" DEFAULT debug True
    iniset "$NOVA_CONF" DEFAULT rootwrap_config "$NOVA_CONF_DIR/rootwrap.conf"
    iniset "$NOVA_CONF" filter_scheduler enabled_filters "$NOVA_FILTERS"
    iniset "$NOVA_CONF" database connection "sqlite:///$DATA_DIR/nova.sqlite"
    # lib/neutron configure_neutron (its API's host).
    if is_service_enabled q-svc neutron-api; then
        iniset "$NEUTRON_CONF" DEFAULT core_plugin ml2
        iniset "$NEUTRON_CONF" DEFAULT notify_nova_on_port_status_changes True
    fi
    # Heat's own DevStack plugin configure_heat.
    if is_service_enabled h-eng; then
        iniset "$HEAT_CONF" DEFAULT debug True
        iniset "$HEAT_CONF" DEFAULT stack_user_domain_name heat
    fi
    if is_service_enabled tempest; then
        iniset "$TEMPEST_CONFIG" compute-feature-enabled resize True
    fi
}

function devstack_start_nova_compute {
    # lib/nova start_nova_compute: nova-cpu.conf is nova.conf plus compute
    # settings, without database access.
    cp "$NOVA_CONF" "$NOVA_CPU_CONF"
    iniset "$NOVA_CPU_CONF" filter_scheduler track_instance_changes False
    inidelete "$NOVA_CPU_CONF" database connection
    # The ovsdb Nova's os-vif uses.
    if [[ -n "$OVSDB_SERVER_LOCAL_HOST" ]]; then
        iniset "$NOVA_CPU_CONF" os_vif_ovs ovsdb_connection "tcp:$OVSDB_SERVER_LOCAL_HOST:6640"
    fi
    # lib/nova configure_console_compute, the serial console's part: on
    # where n-sproxy runs, or where NOVA_SERIAL_ENABLED says so.
    if is_service_enabled n-sproxy || [[ "$NOVA_SERIAL_ENABLED" != False ]]; then
        iniset "$NOVA_CPU_CONF" serial_console enabled True
        iniset "$NOVA_CPU_CONF" serial_console base_url "ws://$SERVICE_HOST:6082/"
    fi
    if [[ "$VIRT_DRIVER" = 'docker' ]]; then
        run_process n-cpu "nova-compute --config-file $NOVA_CPU_CONF" "$DOCKER_GROUP"
    fi
}

function phase {
    echo "== $*"
    # run_plugins sources plugin.sh with the mode and phase as arguments.
    source "$PLUGIN" "$@"
}

for step in "$@"; do
    case "$step" in
        settings) source "$REPO/devstack/settings" ;;
        pre-install|install|post-config|extra|test-config) phase stack "$step" ;;
        configure) devstack_configure ;;
        start) devstack_start_nova_compute ;;
        unstack) phase unstack ;;
        clean) phase clean ;;
        stack)
            source "$REPO/devstack/settings"
            phase stack pre-install
            phase stack install
            devstack_configure
            phase stack post-config
            devstack_start_nova_compute
            phase stack extra
            phase stack test-config
            ;;
        *) echo "unknown step $step" >&2; exit 2 ;;
    esac
done
echo "ENABLED_SERVICES=$ENABLED_SERVICES" > "$WORK/services.env"
echo "Q_AGENT=$Q_AGENT" >> "$WORK/services.env"
