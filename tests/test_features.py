"""Every `.feature` file under features/ runs as policy specs, with the step library in policy_steps.

Adding a feature file needs no Python: `scenarios` collects them all.
"""

from __future__ import annotations

from policy_steps import *  # noqa: F403 - the step definitions are fixtures pytest-bdd looks up here
from policy_steps import policy  # noqa: F401 - the scenario context
from pytest_bdd import scenarios

scenarios(".")
