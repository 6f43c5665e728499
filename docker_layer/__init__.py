"""The one Docker-facing layer of docker-on-openstack.

The Nova driver, the Heat plugin and the bay service reach Docker engines
through this package: ``conf`` registers one set of endpoint and TLS options
in each service's group, ``client`` builds docker SDK clients from them,
``errors`` turns the SDK's failures into each service's own exceptions and
``compat`` holds the one call the SDK's public API lacks.
"""
