"""commitments: conditional-commitment rules, fired by durable_rules' Rete network.

The pipeline, one module per stage: loader (strict YAML with locations) → validate (pydantic models of
packs and facts) → evidence (which facts count) → compiler (rules → durable_rules rulesets) → runtime
(the one place that touches durable_rules) → evaluate (an Evaluation) → render / cli.
"""

from __future__ import annotations

from engine.evaluate import evaluate
from engine.model import Evaluation, Fact, Pack, Response, Rule
from engine.validate import load_facts, load_pack

__all__ = ["Evaluation", "Fact", "Pack", "Response", "Rule", "evaluate", "load_facts", "load_pack"]
__version__ = "0.1.0"
