"""Every message the code says is required: a missing one is a located error, never a "[key]" shown."""

from __future__ import annotations

import ast
import re
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from bot.config import Config
from bot.core.content import ContentHolder, load_content
from bot.errors import KnowledgeError
from bot.knowledge.checks import check_knowledge
from bot.knowledge.loader import load_knowledge
from bot.knowledge.required import MESSAGE_KEYS, OPTIONAL_PREFIXES

ROOT = Path(__file__).resolve().parents[2]
CONSENT = "consent: |"


def _copy(tmp_path: Path) -> Path:
    return Path(shutil.copytree(ROOT / "knowledge", tmp_path / "knowledge"))


def _delete_entry(folder: Path, file: str, head: str) -> None:
    """Deletes one top-level entry (its key line and the indented lines under it) from a messages file."""
    path = folder / file
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    start = next(i for i, line in enumerate(lines) if line.startswith(head))
    end = start + 1
    while end < len(lines) and (lines[end].startswith(" ") or not lines[end].strip()):
        end += 1
    path.write_text("".join(lines[:start] + lines[end:]), encoding="utf-8")


def test_deleting_the_consent_notice_is_an_error_naming_it(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    _delete_entry(folder, "messages/referral.yaml", CONSENT)
    errors = [p for p in check_knowledge(folder) if p.severity == "error"]
    assert [(p.file, p.message) for p in errors] == [
        ("messages/referral.yaml", "message 'consent' is missing, and the bot says it")
    ]


def test_a_missing_messages_file_is_one_error(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    (folder / "messages" / "privacy.yaml").unlink()
    errors = [p for p in check_knowledge(folder) if p.severity == "error"]
    assert len(errors) == 1 and errors[0].file == "messages/privacy.yaml"
    assert errors[0].message.startswith("missing:")


async def test_reload_refuses_knowledge_without_the_consent_notice(config: Config, tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    copy_config = replace(config, knowledge_dir=folder)
    holder = ContentHolder(copy_config, load_content(copy_config))
    _delete_entry(folder, "messages/referral.yaml", CONSENT)
    with pytest.raises(KnowledgeError) as refused:
        await holder.reload()
    assert any("'consent'" in p.message for p in refused.value.problems)
    assert "referral.consent" in holder.current.knowledge.messages, "the last good knowledge keeps serving"


def _said_in_code() -> set[str]:
    """Every string in the code that is written like a message key of the real knowledge ("core.menu")."""
    files = {path.stem for path in (ROOT / "knowledge" / "messages").glob("*.yaml")}
    # A name ending in "_" starts a family of keys ("referral.status_"), not a key.
    key = re.compile(rf"(?:{'|'.join(sorted(files))})\.[a-z](?:[a-z0-9_]*[a-z0-9])?")
    said: set[str] = set()
    for folder in ("bot", "handlers"):
        for path in (ROOT / folder).rglob("*.py"):
            said |= _keys_in(ast.parse(path.read_text(encoding="utf-8")), key)
    return said


def _keys_in(tree: ast.AST, key: re.Pattern[str]) -> set[str]:
    """The whole strings (not pieces of f-strings, which build keys from a family) that look like keys."""
    pieces = {id(p) for node in ast.walk(tree) if isinstance(node, ast.JoinedStr) for p in node.values}
    return {
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in pieces
        if key.fullmatch(node.value)
    }


def test_every_key_written_in_the_code_is_required() -> None:
    optional = {k for k in _said_in_code() if k.startswith(OPTIONAL_PREFIXES)}
    assert _said_in_code() - optional - MESSAGE_KEYS == set(), "add these to bot/knowledge/required.py"


def test_every_message_in_the_knowledge_is_required_or_optional() -> None:
    written = set(load_knowledge(ROOT / "knowledge").messages)
    unlisted = {k for k in written - MESSAGE_KEYS if not k.startswith(OPTIONAL_PREFIXES)}
    assert unlisted == set(), "list the keys the code says in bot/knowledge/required.py"
