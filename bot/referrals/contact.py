"""Checking and tidying the name, email address and UK phone number a person gives for a referral."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

__all__ = ["MAX_NAME", "Checked", "check_email", "check_name", "check_phone"]

MAX_NAME = 100
MAX_EMAIL = 254
MAX_LOCAL_PART = 64
MAX_PHONE_INPUT = 30
# Marks that real names carry: "Mary-Jane O'Neill", "J. R. Smith", "Smith, Anna".
_NAME_MARKS = frozenset(" -'’.,")
_LOCAL_PART = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$")
_DOMAIN_LABEL = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$")
_TOP_LEVEL = re.compile(r"^[A-Za-z]{2,63}$")
_PHONE_MARKS = re.compile(r"[\s\-().]")
_PHONE_ALLOWED = re.compile(r"^[0-9\s\-().+]+$")
_INTERNATIONAL_TRUNK = re.compile(r"^\+44\s*\(0\)")
# 01 and 02 are landlines, 03 non-geographic, 07 mobiles; a few 01 areas have one digit fewer.
_UK_NATIONAL = re.compile(r"^0(?:[1-3][0-9]{9}|7[1-9][0-9]{8}|1[0-9]{8})$")


@dataclass(frozen=True, slots=True)
class Checked:
    """A checked value: the tidied text, or the reason (a message key suffix) it was refused."""

    value: str | None
    reason: str | None = None

    @property
    def ok(self) -> bool:
        """Whether the value was accepted."""
        return self.value is not None


def _refused(reason: str) -> Checked:
    return Checked(value=None, reason=reason)


def _has_control(text: str) -> bool:
    return any(unicodedata.category(ch)[0] == "C" for ch in text)


def check_name(text: str) -> Checked:
    """Accepts a name of letters and common punctuation, 1 to 100 characters, with spaces tidied."""
    if len(text) > MAX_NAME * 4:
        return _refused("too_long")
    name = " ".join(unicodedata.normalize("NFC", text).split())
    if not name:
        return _refused("empty")
    if len(name) > MAX_NAME:
        return _refused("too_long")
    if _has_control(text) or not all(_name_character(ch) for ch in name):
        return _refused("characters")
    if not any(ch.isalpha() for ch in name):
        return _refused("no_letters")
    return Checked(value=name)


def _name_character(ch: str) -> bool:
    # Letters and the accents that combine with them; digits, symbols and emoji are not part of a name.
    return ch in _NAME_MARKS or unicodedata.category(ch)[0] in ("L", "M")


def check_email(text: str) -> Checked:
    """Accepts a plausible email address and returns it with the domain in lower case."""
    if len(text) > MAX_EMAIL * 2:
        return _refused("too_long")
    email = text.strip()
    if not email:
        return _refused("empty")
    if len(email) > MAX_EMAIL:
        return _refused("too_long")
    if _has_control(email) or any(ch.isspace() for ch in email) or not email.isascii():
        return _refused("characters")
    local, at, domain = email.rpartition("@")
    if not at or not local or len(local) > MAX_LOCAL_PART or not _LOCAL_PART.match(local):
        return _refused("format")
    if not _plausible_domain(domain):
        return _refused("format")
    return Checked(value=f"{local}@{domain.lower()}")


def _plausible_domain(domain: str) -> bool:
    labels = domain.split(".")
    if len(labels) < 2 or not _TOP_LEVEL.match(labels[-1]):
        return False
    return all(_DOMAIN_LABEL.match(label) for label in labels)


def check_phone(text: str) -> Checked:
    """Accepts a UK mobile or landline number in 07..., 01/02/03... or +44 form and returns it as +44..."""
    if len(text) > MAX_PHONE_INPUT:
        return _refused("too_long")
    phone = text.strip()
    if not phone:
        return _refused("empty")
    if not _PHONE_ALLOWED.match(phone):
        return _refused("characters")
    digits = _PHONE_MARKS.sub("", _INTERNATIONAL_TRUNK.sub("0", phone))
    national = _national_form(digits)
    if national is None or not _UK_NATIONAL.match(national):
        return _refused("format")
    return Checked(value="+44" + national[1:])


def _national_form(digits: str) -> str | None:
    for prefix in ("+44", "0044"):
        if digits.startswith(prefix):
            # "+44 07700..." keeps its trunk zero by mistake; read it as if it had been left out.
            return "0" + digits[len(prefix) :].removeprefix("0")
    if "+" in digits:
        return None
    return digits
