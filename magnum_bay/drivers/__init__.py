"""Bay drivers, one per container orchestration engine (COE)."""
