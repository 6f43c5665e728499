"""Heat resources for Docker containers, networks and volumes."""
