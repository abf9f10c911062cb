"""The one exception tree of the project, caught once at the edges.

BotError
 +-- ConfigError          bad or missing configuration; stops start-up
 +-- KnowledgeError       knowledge files that do not load; carries every problem
 +-- StorageError         the database failed (locked, corrupt, unreachable)
 |    +-- AlreadyClaimed   referrals another digest run has already taken
 |    +-- Unclosable       the database files can no longer be written, so closing them would crash
 |    +-- AlreadyAccepted  an update whose turn is already stored (a redelivery)
 +-- DeliveryError        a message or digest could not be sent (SMTP, Telegram)
 +-- InputError           something a person typed that cannot be used as given
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


class BotError(Exception):
    """Base of every error this project raises on purpose."""


class ConfigError(BotError):
    """The configuration file or environment is wrong; the message names the key."""


@dataclass(frozen=True, slots=True)
class Problem:
    """One problem found in the knowledge files, located as precisely as possible."""

    severity: str  # "error" or "warning"
    file: str
    line: int | None
    entry: str | None
    field: str | None
    message: str

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        parts = [where, self.severity]
        if self.entry:
            parts.append(f"entry {self.entry!r}")
        if self.field:
            parts.append(f"field {self.field!r}")
        return ": ".join(parts) + f": {self.message}"


class KnowledgeError(BotError):
    """The knowledge files have errors; ``problems`` lists every one of them."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = tuple(problems)
        errors = [p for p in self.problems if p.severity == "error"]
        super().__init__(f"{len(errors)} error(s) in the knowledge files")


class StorageError(BotError):
    """The store could not read or write; the operation may be retried."""


class AlreadyClaimed(StorageError):
    """Some referrals of a new digest are no longer pending or are in another unfinished digest."""


class AlreadyAccepted(StorageError):
    """The update was accepted before: its turn and replies are stored, so it is not handled again."""


class Unclosable(StorageError):
    """The database was left open because closing it would touch files that can no longer be written."""


class DeliveryError(BotError):
    """A message or digest could not be delivered; pending referrals stay pending."""


class InputError(BotError):
    """Input from a person that cannot be used; the message is safe to show them."""
