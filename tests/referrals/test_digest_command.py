"""`careers-bot digest` end to end: a config file, a SQLite file, a real SMTP server, the real knowledge."""

from __future__ import annotations

import asyncio
import io
import shutil
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.cli import main
from bot.commands.digest import ProgressBar, digest_job
from bot.config import Config, load_config
from bot.core.clock import FixedClock
from bot.knowledge.loader import load_knowledge
from bot.knowledge.model import Knowledge
from bot.referrals.model import ReferralStatus
from bot.storage.sqlite import SqliteStore
from tests.ports import free_port

from .conftest import NOW, referral
from .mailbox import Mailbox

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _no_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("TELEGRAM_BOT_TOKEN", "SMTP_PASSWORD", "CAREERS_BOT_CONFIG"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def real_knowledge(tmp_path: Path) -> Knowledge:
    """The real knowledge copied to tmp_path, its placeholder digest addresses made deliverable test ones."""
    folder = Path(shutil.copytree(ROOT / "knowledge", tmp_path / "knowledge"))
    providers = folder / "providers.yaml"
    text = providers.read_text(encoding="utf-8")
    providers.write_text(text.replace("@referrals.example", "@referrals.test"), encoding="utf-8")
    return load_knowledge(folder)


def write_config(tmp_path: Path, port: int) -> Path:
    """A copy of config.yaml with real_knowledge's folder, a database in tmp_path and SMTP on port."""
    data: dict[str, Any] = yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))
    data["knowledge_dir"] = str(tmp_path / "knowledge")
    data["database"] = str(tmp_path / "bot.sqlite3")
    data["digest"]["outbox_dir"] = str(tmp_path / "outbox")
    data["digest"]["smtp"].update(host="127.0.0.1", port=port, timeout_seconds=5)
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def two_providers(knowledge: Knowledge) -> tuple[str, str]:
    """Two real providers that take digests by email."""
    first, second = [p.id for p in knowledge.providers.values() if p.digest.emails][:2]
    return first, second


def seed(database: Path, knowledge: Knowledge) -> tuple[str, str]:
    """Stores referrals 1 and 2 for one real provider and 3 for another."""
    a, b = two_providers(knowledge)

    async def add() -> None:
        store = SqliteStore(database)
        await store.open()
        for n, provider_id in ((1, a), (2, a), (3, b)):
            await store.add_referral(referral(n, provider_id))
        await store.close()

    asyncio.run(add())
    return a, b


def statuses(database: Path, *numbers: int) -> list[ReferralStatus]:
    return asyncio.run(_statuses(database, *numbers))


async def _statuses(database: Path, *numbers: int) -> list[ReferralStatus]:
    store = SqliteStore(database)
    await store.open()
    try:
        return [r.status for r in await store.referrals_by_id([f"ref-{n}" for n in numbers])]
    finally:
        await store.close()


def line_for(output: str, knowledge: Knowledge, provider_id: str) -> str:
    name = knowledge.providers[provider_id].name
    (line,) = [row for row in output.splitlines() if row.startswith(f"{name}: ")]
    return line


def test_the_command_sends_pending_digests_and_reports_each_provider(
    tmp_path: Path,
    real_knowledge: Knowledge,
    mailbox: Mailbox,
    capsys: pytest.CaptureFixture[str],
) -> None:
    config_path = write_config(tmp_path, mailbox.port)
    a, b = seed(tmp_path / "bot.sqlite3", real_knowledge)
    assert main(["--config", str(config_path), "digest"]) == 0
    output = capsys.readouterr().out
    assert len(output.splitlines()) == len(real_knowledge.providers)
    assert "sent 2 referrals" in line_for(output, real_knowledge, a)
    assert "sent 1 referral " in line_for(output, real_knowledge, b)
    others = set(real_knowledge.providers) - {a, b}
    assert all("nothing pending" in line_for(output, real_knowledge, p) for p in others)
    assert len(mailbox.messages) == 2
    assert sorted(mailbox.recipients) == sorted(
        [list(real_knowledge.providers[p].digest.emails) for p in (a, b)]
    )

    assert main(["--config", str(config_path), "digest"]) == 0
    assert "nothing pending" in line_for(capsys.readouterr().out, real_knowledge, a)
    assert len(mailbox.messages) == 2


def test_the_command_exits_1_and_says_when_it_will_retry(
    tmp_path: Path, real_knowledge: Knowledge, capsys: pytest.CaptureFixture[str]
) -> None:
    config_path = write_config(tmp_path, free_port())
    a, _b = seed(tmp_path / "bot.sqlite3", real_knowledge)
    assert main(["--config", str(config_path), "digest", "--provider", a]) == 1
    (line,) = capsys.readouterr().out.splitlines()
    assert line.startswith(real_knowledge.providers[a].name)
    assert "failed:" in line
    assert "Will retry after" in line
    assert statuses(tmp_path / "bot.sqlite3", 1, 2, 3) == [ReferralStatus.PENDING] * 3


def test_a_dry_run_writes_eml_files_and_sends_nothing(
    tmp_path: Path, real_knowledge: Knowledge, mailbox: Mailbox, capsys: pytest.CaptureFixture[str]
) -> None:
    config_path = write_config(tmp_path, mailbox.port)
    a, b = seed(tmp_path / "bot.sqlite3", real_knowledge)
    outbox = tmp_path / "preview"
    assert main(["--config", str(config_path), "digest", "--dry-run", str(outbox)]) == 0
    assert "nothing sent" in line_for(capsys.readouterr().out, real_knowledge, a)
    files = sorted(outbox.glob("*.eml"))
    assert [f.name.split("-dg-")[0] for f in files] == sorted([a, b])
    parsed = message_from_bytes(files[0].read_bytes(), policy=default)
    assert isinstance(parsed, EmailMessage)
    assert "[digest dg-" in parsed["Subject"]
    assert parsed["To"] == ", ".join(real_knowledge.providers[sorted([a, b])[0]].digest.emails)
    (attachment,) = list(parsed.iter_attachments())
    assert attachment.get_filename() is not None
    assert mailbox.messages == []
    assert statuses(tmp_path / "bot.sqlite3", 1, 2, 3) == [ReferralStatus.PENDING] * 3

    assert main(["--config", str(config_path), "digest", "--dry-run"]) == 0
    assert len(list((tmp_path / "outbox").glob("*.eml"))) == 2


async def test_the_scheduled_job_sends_what_is_due(
    tmp_path: Path, mailbox: Mailbox, real_knowledge: Knowledge
) -> None:
    from bot.app import open_app

    config: Config = load_config(write_config(tmp_path, mailbox.port), environ={})
    async with open_app(config, database=tmp_path / "bot.sqlite3") as app:
        knowledge = app.content.current.knowledge
        daily = next(p for p in knowledge.providers.values() if p.digest.frequency == "daily")
        await app.store.add_referral(referral(1, daily.id))
        await digest_job(app, FixedClock(NOW.replace(day=NOW.day + 1, hour=12)))
        await digest_job(app, FixedClock(NOW.replace(day=NOW.day + 1, hour=13)))
    (message,) = mailbox.messages
    assert daily.name in message["Subject"]


class Terminal(io.StringIO):
    """A text stream that says it is a terminal."""

    def isatty(self) -> bool:
        return True


def test_the_progress_bar_draws_on_a_terminal_and_clears_itself() -> None:
    stream = Terminal()
    bar = ProgressBar(stream)
    for done in (1, 2, 3):
        bar(done, 3)
    drawn = stream.getvalue()
    assert "1/3" in drawn
    assert "3/3" in drawn
    assert drawn.endswith("\r")
    assert drawn.rstrip("\r").split("\r")[-1].strip() == ""


def test_the_progress_bar_is_silent_off_a_terminal_or_for_one_provider() -> None:
    plain = io.StringIO()
    ProgressBar(plain)(1, 3)
    assert plain.getvalue() == ""
    single = Terminal()
    ProgressBar(single)(1, 1)
    assert single.getvalue() == ""
