"""Fixtures for the knowledge tests: a small valid knowledge folder copied into a temp folder."""

from __future__ import annotations

from pathlib import Path

import pytest
from knowledge_edits import copy_valid


@pytest.fixture
def kb(tmp_path: Path) -> Path:
    """A fresh copy of the valid test knowledge folder, safe to break."""
    return copy_valid(tmp_path / "knowledge")
