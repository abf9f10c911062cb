"""`careers-bot check DIR` lists every located problem and exits 1 on errors, 0 otherwise."""

from __future__ import annotations

from pathlib import Path

import pytest
from knowledge_edits import edit, line_of

from bot.cli import main

ROOT = Path(__file__).resolve().parents[2]
CONFIG = str(ROOT / "config.yaml")


def yaml_files(kb: Path) -> int:
    """How many knowledge files the checker reads in a folder."""
    return len(list(kb.rglob("*.yaml")))


def test_a_broken_copy_fails_with_located_lines(kb: Path, capsys: pytest.CaptureFixture[str]) -> None:
    edit(kb, "answers/money.yaml", "topic: bursary_amounts", "topic: bursary_amount")
    edit(kb, "providers.yaml", "lon: -1.4650", "lon: 14.650")
    code = main(["--config", CONFIG, "check", str(kb)])
    out = capsys.readouterr().out.splitlines()
    topic = line_of(kb, "answers/money.yaml", "topic: bursary_amount")
    lon = line_of(kb, "providers.yaml", "lon: 14.650")
    assert code == 1
    assert out[0].startswith(f"answers/money.yaml:{topic}: error: entry 'bursary-amounts': field 'topic': ")
    assert out[1].startswith(f"providers.yaml:{lon}: error: entry 'sheffield-training': field 'lon': ")
    assert out[-1] == f"knowledge: 2 errors, 0 warnings in {yaml_files(kb)} files"


def test_warnings_alone_exit_zero(kb: Path, capsys: pytest.CaptureFixture[str]) -> None:
    edit(kb, "providers.yaml", "referrals@training.test", "referrals@provider.example")
    code = main(["--config", CONFIG, "check", str(kb)])
    out = capsys.readouterr().out.splitlines()
    assert code == 0
    assert out[-1] == f"knowledge: 0 errors, 1 warning in {yaml_files(kb)} files"


def test_a_folder_is_checked_even_when_the_config_is_broken(
    kb: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["--config", str(tmp_path / "nowhere.yaml"), "check", str(kb)])
    captured = capsys.readouterr()
    assert code == 0
    assert "regions not checked" in captured.err
    assert captured.out.endswith(f"knowledge: 0 errors, 0 warnings in {yaml_files(kb)} files\n")


def test_a_missing_folder_is_an_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--config", CONFIG, "check", str(tmp_path / "absent")]) == 1
    assert "is not a folder" in capsys.readouterr().err


@pytest.mark.parametrize("command", [["chat", "--db", "{tmp}/bot.sqlite3"], ["ask", "what is a scitt"]])
def test_starting_on_broken_knowledge_lists_every_error(
    kb: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], command: list[str]
) -> None:
    edit(
        kb,
        "answers/money.yaml",
        "    reviewed: 2026-11-01\n\n  - id: enic",
        "    reviewed: 2026-13-02\n\n  - id: enic",
    )
    edit(kb, "providers.yaml", "lon: -1.4650", "lon: 14.650")
    config = tmp_path / "config.yaml"
    text = (ROOT / "config.yaml").read_text(encoding="utf-8")
    config.write_text(text.replace("knowledge_dir: knowledge", f"knowledge_dir: {kb}"), encoding="utf-8")
    argv = ["--config", str(config), *(part.replace("{tmp}", str(tmp_path)) for part in command)]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert f"answers/money.yaml:{line_of(kb, 'answers/money.yaml', '2026-13-02')}: error:" in err
    assert f"providers.yaml:{line_of(kb, 'providers.yaml', 'lon: 14.650')}: error:" in err
    assert "2 error(s)" in err
