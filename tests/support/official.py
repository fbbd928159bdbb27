"""Official documents the repository may not hold, read from a local copy an environment variable
names (CI's runner sets them; see `.ci/run`).

Unset, the check that needs the document skips and says how to run it. Set to a path that cannot
be read, it fails: a misconfigured CI run must never skip silently. A relative path is read from
the repository root.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]


def require(variable: str, what: str) -> None:
    """Skip the calling test (or module, at import time) unless `variable` is set."""
    if os.environ.get(variable) is None:
        pytest.skip(
            f"{variable} is not set; set it to a local copy of {what} "
            "(a relative path is read from the repository root) to run this check",
            allow_module_level=True,
        )


def read(variable: str, what: str) -> str:
    """The text of the document `variable` names; skips if unset, fails if it cannot be read."""
    require(variable, what)
    value = os.environ[variable]
    path = REPO_ROOT / value  # an absolute value replaces the root
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        problem = f"{type(exc).__name__}: {exc}"
    pytest.fail(f"{variable}={value!r} should name {what}, but {path} cannot be read ({problem})")
