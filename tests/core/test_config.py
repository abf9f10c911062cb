"""The configuration loader: every mistake is named by its key, and secrets come from the environment."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.config import load_config
from bot.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]


def _write(tmp_path: Path, change: dict[str, object] | None = None, drop: str | None = None) -> Path:
    data = yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))
    for dotted, value in (change or {}).items():
        *parents, last = dotted.split(".")
        node = data
        for key in parents:
            node = node[key]
        node[last] = value
    if drop:
        *parents, last = drop.split(".")
        node = data
        for key in parents:
            node = node[key]
        del node[last]
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def test_the_shipped_config_loads() -> None:
    config = load_config(ROOT / "config.yaml", environ={})
    assert config.knowledge_dir == ROOT / "knowledge"
    assert config.telegram.token is None
    assert 0 < config.matching.suggest_threshold <= config.matching.answer_threshold


def test_secrets_come_from_the_environment() -> None:
    env = {"TELEGRAM_BOT_TOKEN": "1:abc", "SMTP_PASSWORD": "pw", "TELEGRAM_WEBHOOK_SECRET": "s3"}
    config = load_config(ROOT / "config.yaml", environ=env)
    assert config.telegram.token == "1:abc"
    assert config.digest.smtp.password == "pw"
    assert config.telegram.webhook.secret == "s3"


@pytest.mark.parametrize(
    ("change", "drop", "named"),
    [
        ({"matching.answer_threshold": "high"}, None, "matching.answer_threshold"),
        ({"matching.answer_threshold": 1.5}, None, "matching.answer_threshold"),
        ({"matching.fusion.clause_share": 1.2}, None, "matching.fusion.clause_share"),
        ({"matching.fusion.background_share": -0.1}, None, "matching.fusion.background_share"),
        ({"matching.fusion.clause_likeness": "half"}, None, "matching.fusion.clause_likeness"),
        (None, "matching.fusion.clause_share", "matching.fusion.clause_share"),
        ({"digest.smtp.security": "ssl"}, None, "digest.smtp.security"),
        ({"digest.smtp.port": 70000}, None, "digest.smtp.port"),
        ({"telegram.mode": "push"}, None, "telegram.mode"),
        ({"timezone": "Mars/Olympus"}, None, "timezone"),
        ({"shortlist.max_providrs": 3}, None, "shortlist.max_providrs"),
        ({"admins.telegram_ids": "12345"}, None, "admins.telegram_ids"),
        ({"admins.staff": ["12345"]}, None, "admins.staff"),
        (None, "privacy.retention_days", "privacy.retention_days"),
        (None, "matching", "matching"),
    ],
)
def test_a_bad_setting_is_named(
    tmp_path: Path, change: dict[str, object] | None, drop: str | None, named: str
) -> None:
    with pytest.raises(ConfigError, match=named.replace(".", r"\.")):
        load_config(_write(tmp_path, change, drop), environ={})


def test_admin_ids_belong_to_one_channel_each(tmp_path: Path) -> None:
    path = _write(tmp_path, {"admins.terminal_ids": ["staff"], "admins.web_ids": ["w-7"]})
    admins = load_config(path, environ={}).admins
    assert admins.is_admin("terminal", "staff") and admins.is_admin("web", "w-7")
    assert not admins.is_admin("web", "staff") and not admins.is_admin("terminal", "w-7")
    assert not admins.is_admin("telegram", "staff") and not admins.is_admin("signal", "staff")


def test_thresholds_must_be_in_order(tmp_path: Path) -> None:
    path = _write(tmp_path, {"matching.suggest_threshold": 0.9, "matching.answer_threshold": 0.5})
    with pytest.raises(ConfigError, match="suggest_threshold"):
        load_config(path, environ={})


def test_broken_yaml_and_missing_files_are_reported(tmp_path: Path) -> None:
    broken = tmp_path / "config.yaml"
    broken.write_text("matching: [unclosed\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(broken, environ={})
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "nope.yaml", environ={})


def test_relative_paths_are_taken_from_the_config_folder(tmp_path: Path) -> None:
    config = load_config(_write(tmp_path, {"database": "db/bot.sqlite3"}), environ={})
    assert config.database == tmp_path / "db" / "bot.sqlite3"


def _config_mistakes(tmp_path: Path) -> dict[str, list[str]]:
    """Command lines that each carry one configuration mistake."""
    latin1 = tmp_path / "latin1.yaml"
    latin1.write_bytes((ROOT / "config.yaml").read_bytes() + "\n# caf\xe9\n".encode("latin-1"))
    (tmp_path / "soon").mkdir()
    (tmp_path / "back").mkdir()
    soon = _write(tmp_path / "soon", {"digest.retry_minutes": ["soon"]})
    back = _write(tmp_path / "back", {"digest.retry_minutes": [5, -30]})
    taken = tmp_path / "report.md"
    taken.write_text("an earlier report\n", encoding="utf-8")
    return {
        "a folder": ["--config", str(tmp_path), "check"],
        "not UTF-8": ["--config", str(latin1), "check"],
        "retry soon": ["--config", str(soon), "check"],
        "retry back in time": ["--config", str(back), "check"],
        "report over a file": ["report", "--db", str(tmp_path / "none.sqlite3"), "--out", str(taken)],
    }


@pytest.mark.parametrize(
    "mistake", ["a folder", "not UTF-8", "retry soon", "retry back in time", "report over a file"]
)
def test_a_configuration_mistake_is_one_line_and_exit_code_2(
    tmp_path: Path, mistake: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from bot.cli import main

    argv = _config_mistakes(tmp_path)[mistake]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1, err
    assert err.startswith("careers-bot: ") and "Traceback" not in err
