"""Reads config.yaml and the environment into one typed, frozen Config."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from types import MappingProxyType
from typing import Any, TypeVar
from urllib.parse import parse_qs, urlsplit

import yaml

from bot.errors import ConfigError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CONFIG = PROJECT_ROOT / "config.yaml"
ADMIN_SUFFIX = "_ids"
# Settings read from the environment because they are secret; their values are hidden in every log line.
SECRET_VARIABLES: tuple[str, ...] = (
    "TELEGRAM_BOT_TOKEN",
    "TELEGRAM_WEBHOOK_SECRET",
    "SMTP_PASSWORD",
    "WEB_COOKIE_SECRET",
    "CAREERS_BOT_DB_PASSWORD",
)
PASSWORD_VARIABLE = "CAREERS_BOT_DB_PASSWORD"
DEFAULT_POOL_SIZE = 10
_POSTGRES_SCHEMES = ("postgresql://", "postgres://")

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class FusionConfig:
    """How the lexical and semantic signals add up to one score (fitted by scripts/fit_matching.py)."""

    lexical_weight: float
    semantic_weight: float
    semantic_floor: float  # a cosine at or below this counts as no semantic likeness at all
    # The likeness to the refusals' phrasings can count for more than to the answers', since a message
    # that reads like a current teacher's work problem seldom shares the refusals' words.
    out_of_scope_weight: float = 0.0
    # How the clauses of a long message count beside the whole message (fitted too; these defaults are the
    # values that were set by hand before): a clause's fused scores count clause_share, the whole message's
    # for the same entries the rest; a clause that only gives background counts background_share of that
    # again; an asking clause's likeness is clause_likeness its own and the rest the whole message's.
    clause_share: float = 0.7
    background_share: float = 0.8
    clause_likeness: float = 0.5


# The signals on their own, for tests and tools that want the lexical matcher alone.
LEXICAL_ONLY = FusionConfig(lexical_weight=1.0, semantic_weight=0.0, semantic_floor=0.0)


@dataclass(frozen=True, slots=True)
class MatchingConfig:
    """Thresholds the matcher decides with, how its signals are fused, and where its model lives."""

    answer_threshold: float
    answer_margin: float
    suggest_threshold: float
    suggestions: int
    fusion: FusionConfig = LEXICAL_ONLY
    model_dir: Path | None = None  # None: no semantic signal
    embedding_cache: Path | None = None  # None: phrasings are embedded at every start


@dataclass(frozen=True, slots=True)
class ShortlistConfig:
    """Limits for the shortlist."""

    default_travel_miles: int
    max_travel_miles: int
    max_providers: int


@dataclass(frozen=True, slots=True)
class PrivacyConfig:
    """How long personal data is kept and which consent wording is current."""

    retention_days: int
    purge_time: str
    consent_version: str


@dataclass(frozen=True, slots=True)
class SmtpConfig:
    """The mail server digests go through; the password is read from SMTP_PASSWORD."""

    host: str
    port: int
    security: str
    username: str
    timeout_seconds: float
    password: str | None


@dataclass(frozen=True, slots=True)
class DigestConfig:
    """Digest delivery settings."""

    from_address: str
    retry_minutes: tuple[int, ...]
    check_minutes: float
    outbox_dir: Path
    smtp: SmtpConfig


@dataclass(frozen=True, slots=True)
class WebhookConfig:
    """Where the webhook listens and the URL Telegram is told to call."""

    listen: str
    port: int
    path: str
    public_url: str
    secret: str | None


@dataclass(frozen=True, slots=True)
class TelegramConfig:
    """Telegram settings; the token is read from TELEGRAM_BOT_TOKEN."""

    mode: str
    api_base_url: str
    webhook: WebhookConfig
    token: str | None
    reply_max_age: timedelta = timedelta(minutes=10)  # an undelivered reply older than this is dropped


@dataclass(frozen=True, slots=True)
class AdminConfig:
    """Who may use the staff commands: user ids by channel, as admins.<channel>_ids lists them."""

    ids: Mapping[str, frozenset[str]]

    def is_admin(self, channel: str, user_id: str) -> bool:
        """Tells whether this person may use staff commands; a channel with no list has no admins."""
        # Ids are only unique within a channel: "staff" in the terminal may be anyone on the web.
        return user_id in self.ids.get(channel, frozenset())


@dataclass(frozen=True, slots=True)
class WebConfig:
    """The web chat, widget and compare page; the cookie key comes from WEB_COOKIE_SECRET or a file."""

    listen: str
    port: int
    public_url: str
    allowed_origins: tuple[str, ...]
    max_message_chars: int
    per_cookie_per_minute: int
    per_ip_per_minute: int
    transcript_turns: int
    secret_file: Path
    secret: str | None


@dataclass(frozen=True, slots=True)
class ReloadConfig:
    """Watching the knowledge folder for edits."""

    watch: bool
    poll_seconds: float


@dataclass(frozen=True, slots=True)
class PostgresDatabase:
    """A PostgreSQL database: its URL (which never holds the password), the password and the pool size."""

    url: str
    password: str | None = field(repr=False)  # from CAREERS_BOT_DB_PASSWORD, never from the file
    pool_size: int = DEFAULT_POOL_SIZE

    def __str__(self) -> str:
        return self.url.partition("?")[0]


# Where the bot keeps its data: an SQLite file, or a PostgreSQL database several workers can share.
Database = Path | PostgresDatabase


@dataclass(frozen=True, slots=True)
class Config:
    """Every setting the bot runs with."""

    path: Path
    branding_name: str
    regions: tuple[str, ...]
    knowledge_dir: Path
    database: Database
    timezone: str
    matching: MatchingConfig
    shortlist: ShortlistConfig
    privacy: PrivacyConfig
    digest: DigestConfig
    telegram: TelegramConfig
    admins: AdminConfig
    reload: ReloadConfig
    web: WebConfig
    database_pool_size: int = DEFAULT_POOL_SIZE
    database_password: str | None = field(default=None, repr=False)

    def database_at(self, chosen: str | None) -> Database:
        """Returns the database a --db option names (a file path or a URL), or else the configured one."""
        if chosen is None:
            return self.database
        return database_target(chosen, Path.cwd(), self.database_password, self.database_pool_size, "--db")


def database_target(value: str, base: Path, password: str | None, pool_size: int, key: str) -> Database:
    """Reads a database setting: a postgresql:// URL without a password, or a file path taken from base."""
    if not value.startswith(_POSTGRES_SCHEMES):
        if not value.strip():
            raise ConfigError(f"setting {key!r} must name a database file or a postgresql:// URL")
        return base / value
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 -- raises ValueError for a port that is not a number
    except ValueError as exc:
        raise ConfigError(f"setting {key!r} is not a valid postgresql:// URL ({exc})") from None
    if parts.password is not None or "password" in parse_qs(parts.query):
        raise ConfigError(
            f"setting {key!r} must not hold the database password: remove it from the URL and set the "
            f"environment variable {PASSWORD_VARIABLE} instead"
        )
    if not parts.hostname and "host" not in parse_qs(parts.query):
        raise ConfigError(f"setting {key!r} must name the database server, as in postgresql://user@host/db")
    return PostgresDatabase(value, password, pool_size)


class _Section:
    """Reads one mapping of the file, naming the full key in every error."""

    def __init__(self, data: object, prefix: str) -> None:
        if not isinstance(data, Mapping):
            raise ConfigError(f"{prefix or 'the file'} must be a mapping of settings")
        self._data: Mapping[str, Any] = data
        self._prefix = prefix
        self._used: set[str] = set()

    def names(self) -> list[str]:
        """Returns the names of the settings in this mapping, as written."""
        return [str(name) for name in self._data]

    def key(self, name: str) -> str:
        """Returns a setting's full dotted name, for messages."""
        return self._key(name)

    def _key(self, name: str) -> str:
        return f"{self._prefix}.{name}" if self._prefix else name

    def get(self, name: str, kind: type[T], check: Callable[[T], bool] | None = None, rule: str = "") -> T:
        self._used.add(name)
        if name not in self._data:
            raise ConfigError(f"missing setting {self._key(name)!r}")
        value = self._data[name]
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise ConfigError(f"setting {self._key(name)!r} must be a {kind.__name__}, not {value!r}")
        if check is not None and not check(value):
            raise ConfigError(f"setting {self._key(name)!r} {rule} (found {value!r})")
        return value

    def optional(
        self, name: str, kind: type[T], default: T, check: Callable[[T], bool] | None = None, rule: str = ""
    ) -> T:
        if name not in self._data:
            self._used.add(name)
            return default
        return self.get(name, kind, check, rule)

    def section(self, name: str) -> _Section:
        self._used.add(name)
        if name not in self._data:
            raise ConfigError(f"missing section {self._key(name)!r}")
        return _Section(self._data[name], self._key(name))

    def strings(self, name: str) -> tuple[str, ...]:
        items = self.get(name, list)
        if not all(isinstance(i, str | int) and not isinstance(i, bool) for i in items):
            raise ConfigError(f"setting {self._key(name)!r} must be a list of text values")
        return tuple(str(i) for i in items)

    def minutes(self, name: str) -> tuple[int, ...]:
        items = self.get(name, list)
        if not items or not all(isinstance(i, int) and not isinstance(i, bool) and i > 0 for i in items):
            raise ConfigError(
                f"setting {self._key(name)!r} must be a list of whole minutes above 0 (found {items!r})"
            )
        return tuple(items)

    def finish(self) -> None:
        unknown = sorted(set(self._data) - self._used)
        if unknown:
            raise ConfigError(f"unknown setting {self._key(unknown[0])!r} (check the spelling)")


def _positive(value: float) -> bool:
    return value > 0


def _clock_time(value: str) -> bool:
    hours, _, minutes = value.partition(":")
    return (
        hours.isdigit() and minutes.isdigit() and int(hours) < 24 and int(minutes) < 60 and len(minutes) == 2
    )


def _shipped(base: Path, value: str) -> Path:
    """A path beside the config file, or else the one shipped with the bot: a config file kept elsewhere
    still finds the bundled model."""
    beside = base / value
    shipped = PROJECT_ROOT / value
    return shipped if not beside.exists() and shipped.exists() else beside


def _fusion(section: _Section) -> FusionConfig:
    weight = (lambda v: 0.0 <= v <= 2.0, "must be between 0 and 2")
    share = (lambda v: 0.0 <= v <= 1.0, "must be between 0 and 1")
    fusion = FusionConfig(
        lexical_weight=section.get("lexical_weight", float, *weight),
        semantic_weight=section.get("semantic_weight", float, *weight),
        semantic_floor=section.get(
            "semantic_floor", float, lambda v: -1.0 <= v < 1.0, "must be from -1 to 1"
        ),
        out_of_scope_weight=section.get("out_of_scope_weight", float, *weight),
        clause_share=section.get("clause_share", float, *share),
        background_share=section.get("background_share", float, *share),
        clause_likeness=section.get("clause_likeness", float, *share),
    )
    section.finish()
    return fusion


def secret_values(environ: Mapping[str, str]) -> tuple[str, ...]:
    """Returns the values of the secret settings this environment holds."""
    return tuple(value for name in SECRET_VARIABLES if (value := environ.get(name, "")))


def load_config(path: Path | None = None, environ: Mapping[str, str] | None = None) -> Config:
    """Loads and validates the config file; raises ConfigError naming the bad key."""
    path = (path or Path(os.environ.get("CAREERS_BOT_CONFIG", DEFAULT_CONFIG))).resolve()
    env = os.environ if environ is None else environ
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"config file not found: {path}") from None
    except IsADirectoryError:
        raise ConfigError(f"{path} is a folder, not a config file") from None
    except OSError as exc:
        raise ConfigError(f"cannot read the config file {path}: {exc.strerror}") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path} is not UTF-8 text (byte {exc.start} cannot be read)") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path} is not valid YAML: {exc}") from None
    root = _Section(raw, "")
    base = path.parent
    config = _build(root, base, env, path)
    root.finish()
    return config


def _build(root: _Section, base: Path, env: Mapping[str, str], path: Path) -> Config:
    branding = root.section("branding")
    matching = root.section("matching")
    shortlist = root.section("shortlist")
    privacy = root.section("privacy")
    digest = root.section("digest")
    smtp = digest.section("smtp")
    telegram = root.section("telegram")
    webhook = telegram.section("webhook")
    admins = root.section("admins")
    reload = root.section("reload")
    web = root.section("web")
    unit = (lambda v: 0.0 <= v <= 1.0, "must be between 0 and 1")
    pool_size = root.optional(
        "database_pool_size", int, DEFAULT_POOL_SIZE, lambda v: 1 <= v <= 1000, "must be from 1 to 1000"
    )
    password = env.get(PASSWORD_VARIABLE) or None
    config = Config(
        path=path,
        branding_name=branding.get("name", str),
        regions=branding.strings("regions"),
        knowledge_dir=base / root.get("knowledge_dir", str),
        database=database_target(root.get("database", str), base, password, pool_size, "database"),
        database_pool_size=pool_size,
        database_password=password,
        timezone=_timezone(root.get("timezone", str)),
        matching=MatchingConfig(
            answer_threshold=matching.get("answer_threshold", float, *unit),
            answer_margin=matching.get("answer_margin", float, *unit),
            suggest_threshold=matching.get("suggest_threshold", float, *unit),
            suggestions=matching.get("suggestions", int, lambda v: 1 <= v <= 8, "must be from 1 to 8"),
            fusion=_fusion(matching.section("fusion")),
            model_dir=_shipped(base, matching.get("model", str, bool, "must name the model folder")),
            embedding_cache=base / matching.get("embedding_cache", str, bool, "must name a folder"),
        ),
        shortlist=ShortlistConfig(
            default_travel_miles=shortlist.get("default_travel_miles", int, _positive, "must be above 0"),
            max_travel_miles=shortlist.get("max_travel_miles", int, _positive, "must be above 0"),
            max_providers=shortlist.get("max_providers", int, _positive, "must be above 0"),
        ),
        privacy=PrivacyConfig(
            retention_days=privacy.get("retention_days", int, _positive, "must be above 0"),
            purge_time=privacy.get("purge_time", str, _clock_time, 'must be a time such as "03:30"'),
            consent_version=privacy.get("consent_version", str, bool, "must not be empty"),
        ),
        digest=DigestConfig(
            from_address=digest.get("from_address", str, bool, "must not be empty"),
            retry_minutes=digest.minutes("retry_minutes"),
            check_minutes=digest.get("check_minutes", float, _positive, "must be above 0"),
            outbox_dir=base / digest.get("outbox_dir", str),
            smtp=SmtpConfig(
                host=smtp.get("host", str, bool, "must not be empty"),
                port=smtp.get("port", int, lambda v: 0 < v < 65536, "must be a port number"),
                security=smtp.get(
                    "security",
                    str,
                    lambda v: v in ("none", "starttls", "tls"),
                    "must be none, starttls or tls",
                ),
                username=smtp.get("username", str),
                timeout_seconds=smtp.get("timeout_seconds", float, _positive, "must be above 0"),
                password=env.get("SMTP_PASSWORD") or None,
            ),
        ),
        telegram=TelegramConfig(
            mode=telegram.get(
                "mode", str, lambda v: v in ("polling", "webhook"), "must be polling or webhook"
            ),
            api_base_url=telegram.get("api_base_url", str),
            webhook=WebhookConfig(
                listen=webhook.get("listen", str),
                port=webhook.get("port", int, lambda v: 0 < v < 65536, "must be a port number"),
                path=webhook.get("path", str, lambda v: v.startswith("/"), "must start with /"),
                public_url=webhook.get("public_url", str),
                secret=env.get("TELEGRAM_WEBHOOK_SECRET") or None,
            ),
            token=env.get("TELEGRAM_BOT_TOKEN") or None,
            reply_max_age=timedelta(
                minutes=telegram.get("reply_max_age_minutes", float, _positive, "must be above 0")
            ),
        ),
        admins=_admins(admins),
        reload=ReloadConfig(
            watch=reload.get("watch", bool),
            poll_seconds=reload.get("poll_seconds", float, _positive, "must be above 0"),
        ),
        web=_web(web, base, env),
    )
    sections = (branding, matching, shortlist, privacy, digest, smtp, telegram, webhook, admins, reload, web)
    for section in sections:
        section.finish()
    if config.matching.suggest_threshold > config.matching.answer_threshold:
        raise ConfigError(
            "setting 'matching.suggest_threshold' must not be above 'matching.answer_threshold'"
        )
    return config


def _admins(section: _Section) -> AdminConfig:
    ids: dict[str, frozenset[str]] = {}
    for name in section.names():
        channel = name.removesuffix(ADMIN_SUFFIX)
        if not name.endswith(ADMIN_SUFFIX) or not channel:
            raise ConfigError(f"setting {section.key(name)!r} must be named <channel>{ADMIN_SUFFIX}")
        ids[channel] = frozenset(section.strings(name))
    return AdminConfig(MappingProxyType(ids))


def _web(web: _Section, base: Path, env: Mapping[str, str]) -> WebConfig:
    origins = web.strings("allowed_origins")
    for origin in origins:
        if not origin.startswith(("https://", "http://")) or origin.rstrip("/") != origin:
            raise ConfigError(
                f"setting 'web.allowed_origins' must list origins such as https://www.example.org "
                f"(found {origin!r})"
            )
    return WebConfig(
        listen=web.get("listen", str, bool, "must not be empty"),
        port=web.get("port", int, lambda v: 0 < v < 65536, "must be a port number"),
        public_url=web.get("public_url", str),
        allowed_origins=origins,
        max_message_chars=web.get("max_message_chars", int, _positive, "must be above 0"),
        per_cookie_per_minute=web.get("per_cookie_per_minute", int, _positive, "must be above 0"),
        per_ip_per_minute=web.get("per_ip_per_minute", int, _positive, "must be above 0"),
        transcript_turns=web.get("transcript_turns", int, _positive, "must be above 0"),
        secret_file=base / web.get("secret_file", str, bool, "must not be empty"),
        secret=env.get("WEB_COOKIE_SECRET") or None,
    )


def _timezone(name: str) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"setting 'timezone' is not a known time zone (found {name!r})") from None
    return name
