"""The locks stay the whole, hashed tree that pyproject.toml's pins describe.

requirements.txt is what Heroku's Python buildpack installs (`pip install -r requirements.txt`);
requirements-dev.txt is the same tree plus the tools, which `make` installs into .venv. Both come
from `make lock` (pip-compile). Running pip-compile again needs PyPI, so these tests compare pins
instead: a pin changed in pyproject.toml without `make lock` fails here.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
RUNTIME_LOCK = ROOT / "requirements.txt"
DEV_LOCK = ROOT / "requirements-dev.txt"

_PIN = re.compile(r"(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)==(?P<version>[^\s;\\]+)")
_HASH = re.compile(r"--hash=sha256:[0-9a-f]{64}")


def entries(text: str) -> list[str]:
    """The lock's requirement lines, each joined with its continuation lines; no comments."""
    joined = re.sub(r"\\\n", " ", text)
    return [
        line.strip()
        for line in joined.splitlines()
        if line.strip() and not line.strip().startswith("#")
    ]


def locked(path: Path) -> dict[str, str]:
    """Package (canonical name) -> version, for every entry of a lock; each must be a hashed pin."""
    pins: dict[str, str] = {}
    for entry in entries(path.read_text()):
        match = _PIN.match(entry)
        assert match, f"{path.name}: not a pinned requirement: {entry[:80]!r}"
        # pip's hash-checking mode refuses the whole file if a single entry lacks a hash.
        assert _HASH.search(entry), f"{path.name}: {match['name']} has no sha256 hash"
        name = canonicalize_name(match["name"])
        assert name not in pins, f"{path.name}: {name} twice"
        pins[name] = match["version"]
    return pins


def direct_pins(group: str | None = None) -> dict[str, str]:
    """pyproject.toml's pins: [project] dependencies, or one optional group ("dev")."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    listed = project["dependencies"] if group is None else project["optional-dependencies"][group]
    pins = {}
    for line in listed:
        requirement = Requirement(line)
        (spec,) = requirement.specifier  # one exact pin each: the lock decides nothing for them
        assert spec.operator == "==", f"pyproject.toml: {line} is not pinned with =="
        pins[canonicalize_name(requirement.name)] = spec.version
    return pins


def _disagreements(pins: dict[str, str], lock: dict[str, str]) -> list[str]:
    return [
        f"{name}: pyproject.toml {version}, lock {lock.get(name, 'absent')}"
        for name, version in sorted(pins.items())
        if lock.get(name) != version
    ]


def test_every_runtime_pin_is_in_the_heroku_lock_at_the_same_version():
    assert not _disagreements(direct_pins(), locked(RUNTIME_LOCK)), "run `make lock`"


def test_every_pin_is_in_the_dev_lock_at_the_same_version():
    pins = {**direct_pins(), **direct_pins("dev")}
    assert not _disagreements(pins, locked(DEV_LOCK)), "run `make lock`"


def test_the_dev_lock_is_the_heroku_lock_plus_the_tools():
    """Tests run on the versions Heroku installs: every package of the runtime lock is in the
    dev lock at the same version (pip-compile's --constraint=requirements.txt)."""
    runtime, dev = locked(RUNTIME_LOCK), locked(DEV_LOCK)
    assert not _disagreements(runtime, dev)


def test_the_heroku_lock_holds_no_tool():
    tools = set(direct_pins("dev")) - set(direct_pins())
    assert not tools & set(locked(RUNTIME_LOCK))


@pytest.mark.parametrize("lock", [RUNTIME_LOCK, DEV_LOCK], ids=lambda p: p.name)
def test_a_lock_is_what_make_lock_writes_from_pyproject(lock: Path):
    """Dependabot re-runs the command in the header to update a lock; it must be make lock's."""
    command = next(line for line in lock.read_text().splitlines() if "#    pip-compile " in line)
    assert "--generate-hashes" in command
    assert command.rstrip().endswith(" pyproject.toml")
    assert f"--output-file={lock.name}" in command


def test_dependabot_proposes_upgrades_of_the_locks():
    config = yaml.safe_load((ROOT / ".github" / "dependabot.yml").read_text())
    ecosystems = {update["package-ecosystem"]: update for update in config["updates"]}
    assert ecosystems["pip"]["directory"] == "/"


def test_mismatched_pin_is_caught(tmp_path: Path):
    """The comparison itself: a lock with another version of a pinned package disagrees."""
    text = RUNTIME_LOCK.read_text()
    name, version = next(iter(direct_pins().items()))
    stale = re.sub(rf"(?m)^{re.escape(name)}=={re.escape(version)} ", f"{name}==0.0.1 ", text)
    lock = tmp_path / "requirements.txt"
    lock.write_text(stale)
    assert _disagreements(direct_pins(), locked(lock)) == [
        f"{name}: pyproject.toml {version}, lock 0.0.1"
    ]
