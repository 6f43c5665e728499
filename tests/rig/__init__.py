"""The test rig: fixtures for the private Docker engine and in-process OpenStack.

Each module is one side; import only the side a test process runs
(``nova``, ``heat`` and ``magnum`` cannot share a process).
"""
