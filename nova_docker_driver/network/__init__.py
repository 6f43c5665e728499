"""Neutron ports as veth pairs inside a container's network namespace.

How it fits: ``vif`` turns a Nova VIF into a plain wiring spec, ``plugger``
holds one host-side strategy per VIF type (os-vif style), ``linux_net``
holds every privileged netlink call (run through ``privsep``), and
``mixin.NetworkMixin`` gives the driver its ComputeDriver networking methods
plus the two hooks it calls around container starts and destroys.
"""
