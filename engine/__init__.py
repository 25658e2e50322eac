"""commitments: conditional-commitment rules, fired by durable_rules' Rete network.

The pipeline, one module per stage: loader (strict YAML with locations) → validate (pydantic models of
packs and facts) → evidence (which facts count) → compiler (rules → durable_rules rulesets) → runtime
(the one place that touches durable_rules) → evaluate (an Evaluation) → render / cli.
"""

from __future__ import annotations

import gc

# Importing the pipeline (pydantic and its models, durable_rules, PyYAML) makes tens of thousands of
# objects that live as long as the process. The cyclic collector would walk them again and again while
# they are made, and after, for nothing: it is paused meanwhile, and they are then frozen (kept out of
# every later collection). A command starts some 10 ms sooner.
_collecting = gc.isenabled()
gc.disable()
try:
    from engine.evaluate import evaluate
    from engine.model import Evaluation, Fact, Pack, Response, Rule
    from engine.validate import load_facts, load_pack
finally:
    gc.freeze()
    if _collecting:
        gc.enable()

__all__ = ["Evaluation", "Fact", "Pack", "Response", "Rule", "evaluate", "load_facts", "load_pack"]
__version__ = "0.1.0"
