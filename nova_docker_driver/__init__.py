"""Nova virt driver that runs instances as Docker containers."""
