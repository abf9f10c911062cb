"""`bash .ci/check`, run as the README gives it, uses the project's .venv without being told."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT

PROJECT = """
[tool.mypy]
strict = true
files = ["tidy.py"]

[tool.pytest.ini_options]
testpaths = ["."]
"""


def test_the_check_command_uses_the_venv_without_being_told(tmp_path: Path) -> None:
    (tmp_path / ".ci").mkdir()
    shutil.copy(ROOT / ".ci" / "check", tmp_path / ".ci" / "check")
    (tmp_path / ".venv" / "bin").mkdir(parents=True)
    # This interpreter has the dev tools, as a project's .venv does after `pip install -e ".[dev]"`.
    python = tmp_path / ".venv" / "bin" / "python"
    python.write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n', encoding="utf-8")
    python.chmod(0o755)
    (tmp_path / "pyproject.toml").write_text(PROJECT, encoding="utf-8")
    (tmp_path / "tidy.py").write_text('"""A tidy module."""\n\nANSWER = 42\n', encoding="utf-8")
    (tmp_path / "test_tidy.py").write_text(
        '"""A test."""\n\nfrom tidy import ANSWER\n\n\ndef test_answer() -> None:\n    assert ANSWER == 42\n',
        encoding="utf-8",
    )
    # No PYTHON, and a PATH whose python (if any) is not the one with the tools.
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "PYTHONPATH": str(tmp_path)}
    done = subprocess.run(
        ["bash", ".ci/check"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 passed" in done.stdout
