"""constraints.txt keeps up with pyproject.toml: each declared dependency is pinned, within its range."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent


def declared(pyproject: Path) -> list[Requirement]:
    """Returns the runtime and optional dependencies that pyproject.toml declares."""
    project = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]
    lines = [
        *project["dependencies"],
        *(d for extra in project["optional-dependencies"].values() for d in extra),
    ]
    return [Requirement(line) for line in lines]


def pinned(constraints: Path) -> dict[str, Version]:
    """Returns each package constraints.txt pins, by its normalised name, with its exact version."""
    pins: dict[str, Version] = {}
    for number, line in enumerate(constraints.read_text(encoding="utf-8").splitlines(), start=1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        found = re.fullmatch(r"([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)", line)
        assert found, f"constraints.txt line {number} is not NAME==VERSION: {line!r}"
        pins[canonicalize_name(found.group(1))] = Version(found.group(2))
    return pins


def unpinned(requirements: list[Requirement], pins: dict[str, Version]) -> list[str]:
    """Returns the requirements the pins leave out, or pin outside their declared range."""
    problems = []
    for requirement in requirements:
        version = pins.get(canonicalize_name(requirement.name))
        if version is None:
            problems.append(f"{requirement.name} is not in constraints.txt")
        elif not requirement.specifier.contains(version, prereleases=True):
            problems.append(f"{requirement.name}=={version} is outside {requirement.specifier}")
    return problems


def test_every_declared_dependency_is_pinned_within_its_range() -> None:
    problems = unpinned(declared(ROOT / "pyproject.toml"), pinned(ROOT / "constraints.txt"))
    assert not problems, "run bash .ci/lock to refresh constraints.txt: " + "; ".join(problems)


def test_a_dependency_missing_from_the_pins_or_outside_its_range_is_found(tmp_path: Path) -> None:
    constraints = tmp_path / "constraints.txt"
    constraints.write_text("# header\nPyYAML==6.0.4\nrapidfuzz==2.0.0\n", encoding="utf-8")
    requirements = [
        Requirement("pyyaml>=6,<7"),
        Requirement("RapidFuzz>=3.9,<4"),
        Requirement("psycopg[pool]>=3"),
    ]
    assert unpinned(requirements, pinned(constraints)) == [
        "RapidFuzz==2.0.0 is outside <4,>=3.9",
        "psycopg is not in constraints.txt",
    ]
