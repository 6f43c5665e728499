"""Swarm-mode bays: Docker-in-Docker nodes joined into a Docker swarm."""
