"""reunite."""
