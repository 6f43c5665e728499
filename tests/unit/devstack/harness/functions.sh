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
# DevStack's helpers, with the same meaning, for running the plugin outside a
# DevStack host. The ini helpers write real ini files; the helpers that would
# change the host (packages, services, users, pip) record their call in
# $HARNESS_LOG, one line per call, and change nothing.
#
# The meanings follow DevStack's functions-common and inc/ini-config:
#   iniset file section option value      set, replacing every line of it
#   iniset_multiline file s o v1 v2 ...    the option once per value
#   iniadd file s o v1 ...                 keep the values there, add these
#   iniget file s o                        the value(s), one per line
#   iniget_multiline file s o              all values, space-separated
#   inidelete file s o                     remove every line of it
#   is_service_enabled a b ...             true if any is in ENABLED_SERVICES
#                                          (nova/glance/... match n-*/g-*)
#   run_process / stop_process             only act for enabled services

function _record {
    local IFS=' '
    echo "$*" >> "$HARNESS_LOG"
}

# _ini_edit mode file section option [value ...]
#   mode set: the option's lines become one line per value, where the first
#   one was, or right after the section header (as DevStack's iniset puts
#   new options); a missing section is added at the end. mode delete: the
#   option's lines go.
function _ini_edit {
    local mode=$1 file=$2 section=$3 option=$4
    shift 4
    mkdir -p "$(dirname "$file")"
    touch "$file"
    local values
    values=$(printf '%s\n' "$@")
    # Two passes over the file: the first finds whether the option is there.
    MODE=$mode SECTION=$section OPTION=$option VALUES=$values awk '
        function emit(   n, i, parts) {
            if (ENVIRON["MODE"] != "set" || done) return
            n = split(ENVIRON["VALUES"], parts, "\n")
            for (i = 1; i <= n; i++) print ENVIRON["OPTION"] " = " parts[i]
            done = 1
        }
        function is_option(line,   name) {
            name = line
            sub(/[ \t]*=.*/, "", name)
            return index(line, "=") > 0 && name == ENVIRON["OPTION"]
        }
        function header(line) {
            return line ~ /^\[.*\][ \t]*$/
        }
        FNR == NR {
            if (header($0)) insec = ($0 == "[" ENVIRON["SECTION"] "]")
            else if (insec && is_option($0)) present = 1
            next
        }
        header($0) {
            insec = ($0 == "[" ENVIRON["SECTION"] "]")
            print
            if (insec) { found = 1; if (!present) emit() }
            next
        }
        insec && is_option($0) { emit(); next }
        { print }
        END {
            if (!found && ENVIRON["MODE"] == "set") {
                print ""
                print "[" ENVIRON["SECTION"] "]"
                emit()
            }
        }' "$file" "$file" > "$file.tmp" && mv "$file.tmp" "$file"
}

function _ini_strip_sudo {
    [[ "$1" == "-sudo" ]]
}

function iniset {
    if _ini_strip_sudo "$1"; then shift; fi
    local file=$1 section=$2 option=$3 value=$4
    [[ -z "$section" || -z "$option" ]] && return
    _ini_edit set "$file" "$section" "$option" "$value"
}

function iniset_multiline {
    if _ini_strip_sudo "$1"; then shift; fi
    local file=$1 section=$2 option=$3
    shift 3
    _ini_edit set "$file" "$section" "$option" "$@"
}

function iniget {
    local file=$1 section=$2 option=$3
    [[ -f "$file" ]] || return 0
    SECTION=$section OPTION=$option awk '
        /^\[.*\][ \t]*$/ { insec = ($0 == "[" ENVIRON["SECTION"] "]"); next }
        insec && index($0, "=") > 0 {
            name = $0; sub(/[ \t]*=.*/, "", name)
            if (name == ENVIRON["OPTION"]) {
                value = substr($0, index($0, "=") + 1)
                sub(/^[ \t]*/, "", value); sub(/[ \t]*$/, "", value)
                print value
            }
        }' "$file"
}

function iniget_multiline {
    local values
    values=$(iniget "$@")
    echo $values
}

function iniadd {
    if _ini_strip_sudo "$1"; then shift; fi
    local file=$1 section=$2 option=$3
    shift 3
    local current=()
    local line
    while IFS= read -r line; do
        [[ -n "$line" ]] && current+=("$line")
    done < <(iniget "$file" "$section" "$option")
    iniset_multiline "$file" "$section" "$option" "${current[@]}" "$@"
}

function inidelete {
    if _ini_strip_sudo "$1"; then shift; fi
    _ini_edit delete "$1" "$2" "$3"
}

function ini_has_option {
    if _ini_strip_sudo "$1"; then shift; fi
    local lines
    lines=$(iniget "$1" "$2" "$3" | wc -l)
    [[ "$lines" -gt 0 ]]
}

# Services

function _cleanup_service_list {
    echo "$1" | sed -e 's/,,/,/g; s/^,//; s/,$//'
}

function is_service_enabled {
    local enabled=1 service
    for service in "$@"; do
        [[ ,${ENABLED_SERVICES}, =~ ,${service}, ]] && enabled=0
        if type "is_${service}_enabled" >/dev/null 2>&1; then
            "is_${service}_enabled" && enabled=0
        fi
        [[ ${service} == n-cpu-* && ,${ENABLED_SERVICES} =~ ,"n-cpu" ]] && enabled=0
        [[ ${service} == "nova" && ,${ENABLED_SERVICES} =~ ,"n-" ]] && enabled=0
        [[ ${service} == "glance" && ,${ENABLED_SERVICES} =~ ,"g-" ]] && enabled=0
        [[ ${service} == "neutron" && ,${ENABLED_SERVICES} =~ ,"q-" ]] && enabled=0
        [[ ${service} == "heat" && ,${ENABLED_SERVICES} =~ ,"h-" ]] && enabled=0
    done
    return $enabled
}

function enable_service {
    local services="$ENABLED_SERVICES" service
    for service in "$@"; do
        if [[ ,${DISABLED_SERVICES}, =~ ,${service}, ]]; then
            echo "WARNING: Attempt to enable_service ${service} when it has been disabled" >&2
            continue
        fi
        if ! is_service_enabled "$service"; then
            services+=",$service"
        fi
    done
    ENABLED_SERVICES=$(_cleanup_service_list "$services")
}

function disable_service {
    local enabled=",${ENABLED_SERVICES}," service
    for service in "$@"; do
        DISABLED_SERVICES+=",$service"
        enabled=${enabled//,$service,/,}
    done
    DISABLED_SERVICES=$(_cleanup_service_list "$DISABLED_SERVICES")
    ENABLED_SERVICES=$(_cleanup_service_list "$enabled")
}

function run_process {
    local service=$1 command=$2 group=$3
    if is_service_enabled "$service"; then
        _record run_process "$service" "group=$group" "$command"
    fi
}

function stop_process {
    if is_service_enabled "$1"; then
        _record stop_process "$1"
    fi
}

# Host changes: recorded only.

function install_package {
    _record install_package "$@"
}
function is_package_installed {
    _record is_package_installed "$@"
    return 1
}
function add_user_to_group {
    _record add_user_to_group "$@"
}
function setup_develop {
    _record setup_develop "$@"
    [[ -d "$1" ]]
}
function pip_install {
    _record pip_install "$@"
}
function start_service {
    _record start_service "$@"
}
function stop_service {
    _record stop_service "$@"
}
function restart_service {
    _record restart_service "$@"
}

# sudo runs the command (the harness only ever points it at its own tmp
# tree) and records it.
function sudo {
    _record sudo "$@"
    "$@"
}

# Output and errors

function echo_summary {
    echo "summary: $*"
}
function warn {
    echo "WARNING: $*" >&2
}
function die {
    shift
    echo "ERROR: $*" >&2
    exit 1
}

function trueorfalse {
    local default=$1 var=$2
    local value=${!var:-$default}
    case "$value" in
        1|yes|Yes|YES|true|True|TRUE|on|On|ON) echo True ;;
        0|no|No|NO|false|False|FALSE|off|Off|OFF|"") echo False ;;
        *) echo "$default" ;;
    esac
}

function get_python_exec_prefix {
    echo "$HARNESS_BIN"
}
