"""Fixtures for the knowledge tests: a small valid knowledge folder copied into a temp folder."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from knowledge_edits import VALID


@pytest.fixture
def kb(tmp_path: Path) -> Path:
    """A fresh copy of the valid test knowledge folder, safe to break."""
    folder = tmp_path / "knowledge"
    shutil.copytree(VALID, folder)
    return folder
