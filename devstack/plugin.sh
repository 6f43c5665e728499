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
# DevStack plugin for docker-on-openstack, called by stack.sh, unstack.sh and
# clean.sh as:
#   plugin.sh stack pre-install|install|post-config|extra|test-config
#   plugin.sh unstack
#   plugin.sh clean
#
# Phases (what runs when, and why then):
#   pre-install  the Docker engine (system packages are in by now)
#   install      this project into DevStack's Python, the nova.virt shim
#   post-config  the shim checked (and written again if a Nova installed
#                since came without it), nova.conf (with the networking
#                for DevStack's ML2/OVN), neutron.conf's notifier
#                interval, heat.conf and the bay
#                CLI config: the services are configured but not started,
#                so they start with ours (nova-compute reads nova-cpu.conf,
#                copied from nova.conf when it starts)
#   extra        the services run: sample image into Glance, reclaim service
#   test-config  Tempest features a container cannot offer

# Save trace setting
_XTRACE_DOS_PLUGIN=$(set +o | grep xtrace)
set -o xtrace

# The plugin is sourced by stack.sh; find lib/ next to this file.
DOS_PLUGIN_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$DOS_PLUGIN_DIR/lib/docker-on-openstack"

if [[ "$1" == "stack" && "$2" == "pre-install" ]]; then
    if is_service_enabled docker-engine; then
        echo_summary "Installing the Docker engine"
        install_docker_engine
        start_docker_engine
    fi

elif [[ "$1" == "stack" && "$2" == "install" ]]; then
    echo_summary "Installing docker-on-openstack"
    install_docker_on_openstack

elif [[ "$1" == "stack" && "$2" == "post-config" ]]; then
    if is_service_enabled dos-nova && is_service_enabled n-cpu; then
        echo_summary "Configuring Nova for the Docker driver"
        ensure_docker_shim
        configure_nova_docker
    fi
    if is_service_enabled dos-nova && is_service_enabled q-svc neutron-api; then
        echo_summary "Configuring Neutron's events to Nova"
        configure_neutron_docker
    fi
    if dos_ceilometer_wanted; then
        echo_summary "Configuring Ceilometer's agent for Docker instances"
        configure_ceilometer_docker
    fi
    if is_service_enabled dos-sched && is_service_enabled n-sch; then
        echo_summary "Configuring the Docker scheduler filters and weighers"
        configure_scheduler_docker
    fi
    if is_service_enabled dos-heat && is_service_enabled h-eng; then
        echo_summary "Configuring Heat for the OS::Docker resources"
        configure_heat_docker
    fi
    if is_service_enabled dos-bay; then
        echo_summary "Configuring the docker-bay CLI"
        configure_bay_docker
    fi

elif [[ "$1" == "stack" && "$2" == "extra" ]]; then
    if is_service_enabled dos-image && is_service_enabled g-api; then
        echo_summary "Uploading the sample Docker image to Glance"
        upload_docker_sample_image
    fi
    if is_service_enabled dos-reclaim; then
        echo_summary "Starting the tenant-share reclaim service"
        start_docker_reclaim
    fi
    if dos_ceilometer_wanted; then
        echo_summary "Starting Ceilometer's agent for Docker instances"
        start_ceilometer_docker
    fi

elif [[ "$1" == "stack" && "$2" == "test-config" ]]; then
    if is_service_enabled tempest; then
        echo_summary "Configuring Tempest for Docker instances"
        configure_tempest_docker
    fi
fi

if [[ "$1" == "unstack" ]]; then
    stop_docker_reclaim
    stop_ceilometer_docker
    if is_service_enabled docker-engine; then
        stop_docker_engine
    fi
fi

if [[ "$1" == "clean" ]]; then
    cleanup_docker_on_openstack
fi

# Restore xtrace
$_XTRACE_DOS_PLUGIN
