"""Reclaim service: give owners back capacity that others borrowed.

``docker-share-reclaim`` runs ``engine.Reclaimer.cycle`` every interval;
it talks to Nova only through the compute API (``cloud``).
"""
