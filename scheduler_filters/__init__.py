"""Scheduler filters and weighers for Docker hosts.

The core logic lives in Nova-free modules so the Heat plugin can use it; the
Nova adapters are imported lazily so that ``scheduler_filters.ArchitectureFilter``
and friends resolve for Nova's ``available_filters`` without dragging Nova into
processes that do not have it.
"""
