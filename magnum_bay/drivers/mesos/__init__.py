"""Mesos bays: ZooKeeper + mesos-master on masters, mesos-agent on workers."""
