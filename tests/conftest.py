"""Test-wide settings.

Under CI (``CI=true``) Hypothesis draws the same examples every run (``derandomize``), so a submission
lands or fails on its own merits rather than on the luck of the draw; a developer's runs stay random
and keep finding new edge cases.
"""

from __future__ import annotations

import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI") == "true":
    settings.load_profile("ci")
