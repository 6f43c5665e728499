# docker-on-openstack: one entry point for set-up, tests, benchmarks and the demo.
# Every target installs what it needs, so `make test` on a fresh Debian 12
# machine (as root) does the whole set-up by itself.

SHELL := /bin/bash
ROOT := $(CURDIR)
VENV := $(ROOT)/.venv
PY := $(VENV)/bin/python
# DOS_STATE may point a developer's second engine elsewhere (with
# DOCKER_BRIDGE_NAME and DOCKER_BRIDGE_CIDR); CI uses the default.
export DOS_STATE ?= $(ROOT)/.state
export DOCKER_HOST := unix://$(DOS_STATE)/docker.sock
export PBR_VERSION ?= 0.1.0
export OS_NOVA_DISABLE_EVENTLET_PATCHING := 1

# chromium + chromium-driver: the dashboard's browser tests (selenium).
APT_PACKAGES := docker.io busybox-static iproute2 iptables curl debootstrap openvswitch-switch ethtool chromium chromium-driver
VENV_STAMP := $(VENV)/.installed
VENV_INPUTS := constraints.txt requirements.txt test-requirements.txt setup.cfg
# Ceilometer (and later Aodh) with the project's pollsters, apart from the
# services' venv: see telemetry-requirements.txt.
TVENV := $(ROOT)/.venv-telemetry
TVENV_STAMP := $(TVENV)/.installed
TVENV_INPUTS := telemetry-constraints.txt telemetry-requirements.txt setup.cfg

.PHONY: setup apt venv venv-telemetry docker docker-stop images test test-quick lint bench soak run stop demo apps clean

setup: apt venv venv-telemetry docker images

apt:
	@missing=""; \
	for p in $(APT_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi

venv: $(VENV_STAMP)

$(VENV_STAMP): $(VENV_INPUTS)
	@test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -c constraints.txt -r requirements.txt -r test-requirements.txt
	$(PY) -m pip install -q -c constraints.txt --no-deps -e .
	$(VENV)/bin/nova-docker-shim install
	@touch $@

venv-telemetry: $(TVENV_STAMP)

$(TVENV_STAMP): $(TVENV_INPUTS)
	@test -x $(TVENV)/bin/python || python3 -m venv $(TVENV)
	$(TVENV)/bin/python -m pip install -q -c telemetry-constraints.txt -r telemetry-requirements.txt
	$(TVENV)/bin/python -m pip install -q -c telemetry-constraints.txt --no-deps -e .
	@touch $@

docker: apt
	@tools/docker-engine.sh start

docker-stop:
	@tools/docker-engine.sh stop

images: venv docker
	@$(PY) tools/build_images.py

test: setup
	@$(PY) tools/run_tests.py

# The quick tier: tests that need neither root, an engine nor the
# all-in-one (tests/conftest.py marks them quick); the venv is all it needs.
test-quick: venv
	@$(PY) tools/run_tests.py --quick

lint: venv
	$(VENV)/bin/ruff check docker_layer nova_docker_driver heat_plugin magnum_bay scheduler_filters tests tools
	$(VENV)/bin/bashate -v -iE006 -eE005,E042 devstack/plugin.sh devstack/settings devstack/lib/* tools/*.sh

bench: setup
	@$(PY) tools/run_bench.py

# The full soak (hours): 1000 boot/delete cycles and 200 Heat stacks on
# the all-in-one; make bench runs a short one.
soak: setup
	@SOAK_CYCLES=$${SOAK_CYCLES:-1000} SOAK_STACKS=$${SOAK_STACKS:-200} \
		$(PY) tools/run_bench.py soak

# The main job: the all-in-one cloud (below), then the showcase through the
# openstack CLI. The cloud keeps running for you; `make stop` stops it.
# SHOWCASE_ARGS=--no-bay leaves the bay out, --keep what it creates.
run: aio

stop: aio-stop

# Nova alone, in this process (about 10 s): a Neutron port (Nova's fixture)
# wired into the container, which the all-in-one cannot show.
demo: setup
	@$(PY) tools/run_demo.py

clean: docker-stop
	rm -rf $(DOS_STATE)

# The all-in-one cloud (tools/aio): real Keystone, Placement, Nova with two
# Docker computes, Glance, Heat with the plugin, on MariaDB and RabbitMQ; all
# on 127.0.0.1, state and logs under $(DOS_STATE)/aio. `make aio` starts it
# (idempotent) and runs the showcase; `make aio-stop` stops every process.
.PHONY: aio aio-stop aio-apt
# Debian's MariaDB, RabbitMQ, OVN and Prometheus for the all-in-one (and its end-to-end
# tests): an extra prerequisite of `apt`, so `make setup` and `make test`
# install them too. The all-in-one runs its own instances of them; the
# packages' system services must not start, so unless the machine already
# has a policy-rc.d, one that refuses every start is in place during the
# install (a system server that already runs is never touched).
# prometheus: the all-in-one's metrics store (tools/aio/telemetry.py).
# uuid-runtime: uuidd, without which libuuid leaks a descriptor per thread
# of Ceilometer's polling agent (tools/aio/bootstrap.py ensure_uuidd).
AIO_APT_PACKAGES := mariadb-server rabbitmq-server ovn-central ovn-host haproxy prometheus uuid-runtime
apt: aio-apt
aio-apt:
	@missing=""; \
	for p in $(AIO_APT_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing (their system services stay stopped)"; \
	  guard=""; \
	  if [ ! -e /usr/sbin/policy-rc.d ]; then \
	    printf '#!/bin/sh\n# make aio-apt: no service starts during the install\nexit 101\n' \
	      > /usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d && guard=1; \
	  fi; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	    apt-get install -y -qq --no-install-recommends $$missing; rc=$$?; \
	  if [ -n "$$guard" ]; then rm -f /usr/sbin/policy-rc.d; fi; \
	  exit $$rc; \
	fi

aio: setup
	@$(PY) -m tools.aio start
	@$(PY) -m tools.aio showcase $(SHOWCASE_ARGS)
	@echo "the cloud keeps running: eval \"\$$($(PY) -m tools.aio env)\"; openstack server list; make stop to stop it"
	@echo "applications on it (autoscaling, a rolling release with rollback): make apps"

# Autoscaling and a rolling release with rollback on the running all-in-one
# (tools/aio/apps.py; starts it first if needed).
apps: setup
	@$(PY) -m tools.aio start
	@$(PY) -m tools.aio apps $(SHOWCASE_ARGS)

aio-stop:
	@$(PY) -m tools.aio stop
