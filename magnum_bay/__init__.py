"""Magnum-style bays (clusters) built from Docker containers."""
