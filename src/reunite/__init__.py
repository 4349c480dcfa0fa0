"""reunite: rank candidate persons for cold missing-child cases, so the true child is sampled first."""

from __future__ import annotations

__version__ = "0.1.0"
