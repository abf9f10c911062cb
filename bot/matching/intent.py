"""Telling the parts of a message that ask something from the background a person gives around them."""

from __future__ import annotations

import re
from collections.abc import Iterator

# Commas and "but" separate background from the question inside one sentence, so they split here
# though they do not split a message into separate questions.
_SEGMENT_BREAK = re.compile(r"[?!]+|\.(?=\s|$)|[\n;,(){}\[\]]+|\s-+\s|\bbut\b", re.IGNORECASE)
# A segment asks when it opens with a question word, or with an auxiliary before who it is about
# ("can i", "is there", "how do"), perhaps after a filler ("and", "so", "i wonder"). Later in a segment
# these words are usually relative ("my wife, who is british"). They are grammar, not content.
_OPENER = r"(?:^|\b(?:and|or|so|then|also|ok|okay|well|just|now|hi|hello|know|wondering|wonder|sure|idea)\s+)"
_QUESTION_WORD = r"(?:how|hows|what|whats|when|whens|where|wheres|which|who|whos|why|whether|any|anything)\b"
_AUXILIARY = (
    r"(?:can|could|cant|do|does|dont|is|isnt|are|arent|will|wont|would|should|shall"
    r"|am|must|may|might|have|has)"
)
_SUBJECT = r"(?:i|we|you|they|he|she|it|there|my|me|one|someone|anyone|people|trainees?|this|that)\b"
_ASKING = re.compile(
    rf"{_OPENER}{_QUESTION_WORD}|{_OPENER}{_AUXILIARY}\s+{_SUBJECT}|^(?:explain|tell\s+me|help)\b",
    re.IGNORECASE,
)
_APOSTROPHES = re.compile(r"['’]")
# A sentence or clause that opens with one of these words asks something ("did you", "whether I can",
# "difference between a PGCE and QTS"), whatever punctuation it ends with.
QUESTION_WORDS = frozenset(
    {
        "how",
        "what",
        "whats",
        "when",
        "where",
        "why",
        "who",
        "which",
        "can",
        "could",
        "do",
        "does",
        "did",
        "is",
        "are",
        "will",
        "would",
        "should",
        "am",
        "if",
        "whether",
        "difference",
    }
)


def asking_segments(text: str) -> tuple[list[str], list[str]]:
    """Returns the segments that ask and those that only give background, each in message order."""
    asking: list[str] = []
    background: list[str] = []
    for piece, after in _pieces(text):
        if piece.strip():
            (asking if _asking(piece, after) else background).append(piece.strip())
    return asking, background


def _pieces(text: str) -> Iterator[tuple[str, str]]:
    """Yields each piece of the text between breaks, with the break that follows it ("" at the end)."""
    start = 0
    for found in _SEGMENT_BREAK.finditer(text):
        yield text[start : found.start()], found.group(0)
        start = found.end()
    yield text[start:], ""


def _asking(piece: str, after: str) -> bool:
    """True when a piece that is not blank asks, by its question mark or its words."""
    return bool(piece.strip()) and ("?" in after or asks(piece.strip()))


def asks(segment: str) -> bool:
    """True when the segment reads as a question or request rather than background."""
    return bool(_ASKING.search(_APOSTROPHES.sub("", segment)))


def clause_asks(text: str, clause: str) -> bool:
    """True when the clause, with the punctuation that follows it in the text, asks something."""
    start = text.find(clause)
    after = text[start + len(clause) : start + len(clause) + 3] if start >= 0 else ""
    # Stops at the first piece that asks: the rest need not be read.
    return any(_asking(piece, following) for piece, following in _pieces(clause + after))
