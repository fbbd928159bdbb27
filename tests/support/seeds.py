"""Seeds for the randomised suites, so any failure can be replayed exactly.

- `HYPOTHESIS_SEED`: property tests (tests/adversarial/test_properties.py …). Random per run
  unless set; the value in use is printed at the end of every pytest run and in each property
  test's failure.
- `CHAOS_SEED`: the upstream-chaos schedule (tests/adversarial/test_chaos.py). A fixed default,
  so CI is repeatable; set it to explore other schedules. Chaos assertions quote it.

Replay: `HYPOTHESIS_SEED=<n> CHAOS_SEED=<m> .venv/bin/python -m pytest tests/adversarial/`.
"""

from __future__ import annotations

import os
import random

HYPOTHESIS_SEED = int(os.environ.get("HYPOTHESIS_SEED") or random.SystemRandom().randrange(2**32))
CHAOS_SEED = int(os.environ.get("CHAOS_SEED") or 20261126)


def summary() -> str:
    return (
        f"randomised suites: HYPOTHESIS_SEED={HYPOTHESIS_SEED} CHAOS_SEED={CHAOS_SEED} "
        "(set these environment variables to replay this run)"
    )
