"""The web settings in config.yaml: checked at start-up, and admin ids kept to their own channel."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from webserver import ROOT

from bot.channels.web_security import RateLimiter, Signer, load_secret
from bot.config import load_config
from bot.errors import ConfigError


def _config(tmp_path: Path, **web: object) -> Path:
    data = yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))
    data["knowledge_dir"] = str(ROOT / "knowledge")
    data["web"].update(web)
    data["admins"]["terminal_ids"] = ["staff", "42"]
    data["admins"]["telegram_ids"] = ["42"]
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def test_admin_ids_of_one_channel_never_count_on_another(tmp_path: Path) -> None:
    admins = load_config(_config(tmp_path), environ={}).admins
    assert admins.is_admin("terminal", "staff") and admins.is_admin("telegram", "42")
    assert not admins.is_admin("web", "staff") and not admins.is_admin("web", "42")


@pytest.mark.parametrize("origin", ["partner.example.org", "https://partner.example.org/", "*"])
def test_a_widget_origin_must_be_a_scheme_and_host(tmp_path: Path, origin: str) -> None:
    with pytest.raises(ConfigError, match=r"web\.allowed_origins"):
        load_config(_config(tmp_path, allowed_origins=[origin]), environ={})


def test_a_misspelt_web_setting_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"web\.per_cookie_per_minit"):
        load_config(_config(tmp_path, per_cookie_per_minit=3), environ={})


def test_the_cookie_key_comes_from_the_environment_or_one_file_made_once(tmp_path: Path) -> None:
    path = tmp_path / "data" / "key"
    made = load_secret(None, path)
    assert load_secret(None, path) == made and len(made) == 32
    assert path.stat().st_mode & 0o077 == 0, "only the owner may read it"
    assert load_secret("from-env", path) == b"from-env"


def test_a_cookie_signed_with_another_key_is_not_accepted() -> None:
    ours, theirs = Signer(b"a" * 32), Signer(b"b" * 32)
    cookie = theirs.cookie("someone")
    assert ours.visitor(cookie) is None and theirs.visitor(cookie) == "someone"
    assert ours.visitor("someone") is None and ours.visitor("") is None


def test_the_rate_limit_refills_over_the_minute() -> None:
    now = [0.0]
    limit = RateLimiter(2, clock=lambda: now[0])
    assert [limit.allow("a"), limit.allow("a"), limit.allow("a")] == [True, True, False]
    now[0] += 30.0
    assert limit.allow("a") and not limit.allow("a")
    assert limit.allow("b")
