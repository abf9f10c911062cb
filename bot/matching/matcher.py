"""The public question matcher: from a person's text to a Match against the answer entries."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt

from bot.config import FusionConfig, MatchingConfig
from bot.knowledge.model import Knowledge
from bot.matching.decide import (
    OUT_OF_SCOPE_TOPIC,
    Candidate,
    Match,
    MatchStatus,
    Part,
    decide,
    out_of_scope,
)
from bot.matching.entities import Entities, EntityFinder, degree_class
from bot.matching.index import Index
from bot.matching.intent import clause_asks
from bot.matching.normalise import Normalised, Normaliser, clean, split_clauses
from bot.matching.scoring import Scored, rank
from bot.matching.semantic import Encoder, VectorCache

__all__ = ["Candidate", "Entities", "Evidence", "Match", "MatchStatus", "Matcher", "Reading"]

Floats = npt.NDArray[np.float64]

# Pieces beyond this many are ignored: nobody asks more questions than this in one message.
MAX_CLAUSES = 8
# Each piece keeps this many ranked entries, enough for the margin, alternatives and a spare.
RANK_DEPTH = 6
# A message needs this many informative words, unless it names a keyword or an entity.
MIN_INFORMATIVE = 2
# How much a clause's own scores and likeness count beside the whole message's is fitted with the fusion
# weights (FusionConfig.clause_share, background_share and clause_likeness, by scripts/fit_matching.py).
# The topic a named degree class points to: having none is its own topic, the rest are about entry.
NO_DEGREE_TOPIC = "no_degree"
DEGREE_CLASS_TOPIC = "entry_degree_class"
# Having no degree rules whole routes out, so it says more about the right answer than a route name does;
# and it holds for every clause of the message, not only the one that says it.
NO_DEGREE_BONUSES = 2.0
# An entry's likeness to a piece is the mean cosine of its this many phrasings closest to it (of all of them,
# when it has fewer): with many asked ways per entry, one phrasing that happens to share a long message's
# background no longer decides. Chosen over 1 (the closest alone), 2 and 4 by refitting with
# `python scripts/fit_matching.py --write` and scoring `python bench/quality.py --part tune --part synthetic`:
# 3 raised tuning top-1 from 62.0% to 65.3% and off-topic declined from 77.1% to 82.3%, wrongly answered 2.5%.
SEMANTIC_TOP = 3


@dataclass(frozen=True, slots=True)
class Evidence:
    """What the two signals found for one piece of a message, before they are fused."""

    text: str
    lexical: tuple[Scored, ...]  # the entries sharing words with the piece, best first
    # Per entry, the mean cosine of its SEMANTIC_TOP closest phrasings, or None; for an asking clause its own,
    # blended with the whole message's when fused; for a background clause the whole message's.
    semantic: Floats | None
    cosines: Floats | None  # per phrasing, its cosine with the piece, read the same way
    whole: bool = False
    order: int = 0  # where the piece starts in the message
    asks: bool = True  # False for a clause that only gives background


@dataclass(frozen=True, slots=True)
class Reading:
    """A message read by every signal: its entities and the evidence for each of its pieces."""

    question: str
    entities: Entities
    pieces: tuple[Evidence, ...]  # empty when nothing in the message could be about training to teach
    ruled_out: frozenset[str]


class Matcher:
    """Matches questions to answer entries; built once per Knowledge, then pure and deterministic.

    The pipeline: read (clean, find entities, split into pieces, score each piece lexically and
    semantically), fuse (one score per entry and piece, weights from config), decide (answer, suggest,
    no match or out of scope, thresholds from config).
    """

    def __init__(self, knowledge: Knowledge, config: MatchingConfig) -> None:
        self.knowledge = knowledge
        self.config = config
        self.normaliser = Normaliser(knowledge.synonyms, knowledge.stop_words)
        self.index = Index(knowledge, self.normaliser)
        self.finder = EntityFinder(knowledge)
        self._route_topics = {r.id: r.topic for r in knowledge.routes.values()}
        # An entry is left out when the message has any of its not_when words ("teach" for the refusal of
        # other careers), read the same way as the message.
        self._ruled_out_by = {
            e.id: frozenset(t for word in e.not_when for t in self.normaliser.normalise(word).tokens)
            for e in knowledge.answers.values()
            if e.not_when
        }
        self.encoder = Encoder.shared(config.model_dir) if config.model_dir else None
        self._vectors = self._phrasing_vectors()
        self._refusals = np.array([e.topic == OUT_OF_SCOPE_TOPIC for e in self.index.entries])
        # Each entry's phrasing numbers as one row, padded to the longest, for the likeness in one operation.
        self._sizes = np.array([len(e.phrasings) for e in self.index.entries], dtype=np.intp)
        width = int(self._sizes.max(initial=1))
        self._grid = np.array(
            [[*e.phrasings, *[e.phrasings[0]] * (width - len(e.phrasings))] for e in self.index.entries],
            dtype=np.intp,
        ).reshape(len(self.index.entries), width)
        self._filled = np.arange(width)[None, :] < self._sizes[:, None]

    def match(self, text: str) -> Match:
        """Returns the verdict on one question; any string is accepted."""
        return self.decide(self.read(text))

    def read(self, text: str) -> Reading:
        """Runs every signal over the message and its pieces; the costly half of matching."""
        cleaned = clean(text)
        entities = self.finder.find(cleaned)
        whole = self.prepare(cleaned)
        if self._is_noise(whole, entities):
            return Reading(text, entities, (), frozenset())
        clauses = self._clauses(cleaned)
        # A question asked late in a long message, or one of several, is lost in the whole message's average
        # (and cut off past the model's window), so each clause that asks is embedded too, in the same call;
        # when fused it is read between its own likeness and the whole message's (clause_likeness), which
        # keeps what the rest says ("I've never been to university. What routes are there for me?"). A
        # background clause keeps the whole message's likeness.
        asking = [clause for _, clause, _, asks in clauses if asks]
        semantic = dict(zip([cleaned, *asking], self._semantic([cleaned, *asking]), strict=True))
        no_degree = entities.degree_class == "none"
        lexical = self._rank(whole, entities.routes, entities.degree_class)
        pieces = [Evidence(cleaned, lexical, *semantic[cleaned], whole=True)]
        for order, clause, query, asks in clauses:
            degree = "none" if no_degree else degree_class(clause)
            lexical = self._rank(query, self.finder.routes(clause), degree)
            likeness = semantic[clause] if asks else semantic[cleaned]
            pieces.append(Evidence(clause, lexical, *likeness, False, order, asks))
        return Reading(text, entities, tuple(pieces), self._ruled_out(whole))

    def decide(self, reading: Reading, config: MatchingConfig | None = None) -> Match:
        """Fuses the evidence into one score per entry and piece, then applies the thresholds."""
        settings = config or self.config
        if not reading.pieces:
            return out_of_scope(reading.question, reading.entities)
        return decide(reading.question, self.fuse(reading, settings.fusion), reading.entities, settings)

    def fuse(self, reading: Reading, fusion: FusionConfig) -> list[Part]:
        """Every piece's leading entries by fused score, ruled-out entries left out."""
        pieces = [_in_light(piece, reading.pieces[0], fusion.clause_likeness) for piece in reading.pieces]
        fused = [self._fuse(piece, fusion) for piece in pieces]
        parts = [
            Part(piece.text, self._ranked(piece, own, fused[0], fusion), whole=piece.whole, order=piece.order)
            for piece, own in zip(pieces, fused, strict=True)
        ]
        return _without(parts, reading.ruled_out)

    def embed_ahead(self, texts: Sequence[str]) -> None:
        """Embeds messages before they are matched, in one batch, so matching them finds their vectors."""
        if self.encoder is not None:
            cleaned = [clean(t) for t in texts if t]
            asking = [c for text in cleaned for _, c, _, asks in self._clauses(text) if asks]
            self.encoder.prepare([*cleaned, *asking])

    def prepare(self, text: str) -> Normalised:
        """Returns the scoring tokens of a text: stemmed, typos corrected, synonyms folded, no stop words."""
        return self.normaliser.prepare(self.index.correct(self.normaliser.stems(text)))

    def _phrasing_vectors(self) -> Floats | None:
        if self.encoder is None:
            return None
        wordings = [p.wording for p in self.index.phrasings]
        return VectorCache(self.config.embedding_cache).vectors(self.encoder, wordings).astype(np.float64)

    def _clauses(self, cleaned: str) -> list[tuple[int, str, Normalised, bool]]:
        """The clauses worth scoring (none for one alone): place, text, tokens, and whether it asks."""
        clauses = split_clauses(cleaned)
        found = []
        for order, clause in enumerate(clauses[:MAX_CLAUSES] if len(clauses) > 1 else []):
            query = self.prepare(clause)
            if self._worth_scoring(query):
                found.append((order, clause, query, clause_asks(cleaned, clause)))
        return found

    def _semantic(self, texts: list[str]) -> list[tuple[Floats | None, Floats | None]]:
        """Per text, every entry's likeness to it and every phrasing's cosine, from one encode call."""
        if self.encoder is None or self._vectors is None:
            return [(None, None)] * len(texts)
        cosines = self._vectors @ self.encoder.encode(texts).astype(np.float64).T
        return [(self._likeness(cosines[:, i]), cosines[:, i]) for i in range(len(texts))]

    def _likeness(self, cosines: Floats) -> Floats:
        """Per entry, the mean cosine of its SEMANTIC_TOP phrasings closest to the text."""
        padded = np.where(self._filled, cosines[self._grid], -np.inf)
        top = min(SEMANTIC_TOP, padded.shape[1])
        closest = -np.partition(-padded, top - 1, axis=1)[:, :top]
        mean: Floats = np.where(np.isfinite(closest), closest, 0.0).sum(axis=1) / np.minimum(self._sizes, top)
        return mean

    def _fuse(self, piece: Evidence, fusion: FusionConfig) -> Floats:
        """One score per entry for one piece: the weighted lexical score plus the weighted likeness."""
        scores = np.zeros(len(self.index.entries))
        for scored in piece.lexical:
            scores[scored.entry] = scored.score
        scores *= fusion.lexical_weight
        if piece.semantic is not None and (fusion.semantic_weight or fusion.out_of_scope_weight):
            likeness = np.clip((piece.semantic - fusion.semantic_floor) / (1 - fusion.semantic_floor), 0, 1)
            scores += np.where(self._refusals, fusion.out_of_scope_weight, fusion.semantic_weight) * likeness
        return scores

    def _ranked(
        self, piece: Evidence, scores: Floats, whole: Floats, fusion: FusionConfig
    ) -> tuple[Candidate, ...]:
        """The piece's leading entries as candidates; a clause is read in the light of the whole message."""
        if not piece.whole:
            # A clause that only gives background ("nursery fees are more than my rent") can match an entry
            # well by chance, so its own scores count less when the pieces of a message compete.
            share = fusion.clause_share * (1.0 if piece.asks else fusion.background_share)
            scores = share * scores + (1 - fusion.clause_share) * whole
        lexical = {s.entry: s for s in piece.lexical}
        eligible = np.flatnonzero(scores > 0)
        chosen = eligible[np.argsort(-scores[eligible], kind="stable")][:RANK_DEPTH]
        return tuple(self._candidate(int(e), float(scores[e]), piece, lexical.get(int(e))) for e in chosen)

    def _candidate(self, entry: int, score: float, piece: Evidence, lexical: Scored | None) -> Candidate:
        indexed = self.index.entries[entry]
        semantic = 0.0
        closest = ""
        if piece.cosines is not None:
            numbers = indexed.phrasings
            nearest = numbers[int(np.argmax(piece.cosines[numbers[0] : numbers[-1] + 1]))]
            closest = self.index.phrasings[nearest].wording
            semantic = float(piece.cosines[nearest])
        wording = self.index.phrasings[lexical.phrasing].wording if lexical else closest
        return Candidate(
            indexed.id,
            indexed.topic,
            round(score, 4),
            wording,
            lexical=lexical.score if lexical else 0.0,
            semantic=round(semantic, 4),
            semantic_phrasing=closest,
        )

    def _rank(self, query: Normalised, routes: tuple[str, ...], degree: str | None) -> tuple[Scored, ...]:
        """Ranks the entries lexically for one piece, with topic bonuses for the routes and degree class."""
        topics = {self._route_topics[r]: 1.0 for r in routes if r in self._route_topics}
        if degree == "none":
            topics[NO_DEGREE_TOPIC] = NO_DEGREE_BONUSES
        elif degree is not None:
            topics[DEGREE_CLASS_TOPIC] = 1.0
        return rank(self.index, query, topics, RANK_DEPTH)

    def _ruled_out(self, whole: Normalised) -> frozenset[str]:
        present = frozenset(whole.tokens)
        return frozenset(entry for entry, words in self._ruled_out_by.items() if words & present)

    def _worth_scoring(self, query: Normalised) -> bool:
        informative = [t for t in query.tokens if any(c.isalpha() for c in t)]
        return len(informative) >= MIN_INFORMATIVE or self._names_keyword(query)

    def _names_keyword(self, query: Normalised) -> bool:
        present = frozenset(query.tokens)
        return any(k.tokens <= present for t in query.tokens for k in self.index.keywords.get(t, ()))

    def _is_noise(self, query: Normalised, entities: Entities) -> bool:
        """True when nothing in the message could be about training to teach."""
        if entities:
            return False
        if not any(t in self.index.weights for t in query.tokens):
            return True
        return not self._worth_scoring(query)


def _in_light(piece: Evidence, whole: Evidence, own: float) -> Evidence:
    """An asking clause read between its own likeness and cosines (share own) and the whole message's."""
    if piece.whole or not piece.asks or own == 1.0:
        return piece
    if piece.semantic is None or piece.cosines is None or whole.semantic is None or whole.cosines is None:
        return piece
    semantic = own * piece.semantic + (1 - own) * whole.semantic
    return replace(piece, semantic=semantic, cosines=own * piece.cosines + (1 - own) * whole.cosines)


def _without(parts: list[Part], ruled_out: frozenset[str]) -> list[Part]:
    """Drops the ruled-out entries from every piece's ranking."""
    if not ruled_out:
        return parts
    return [
        replace(p, ranked=tuple(c for c in p.ranked if c.entry not in ruled_out))
        if any(c.entry in ruled_out for c in p.ranked)
        else p
        for p in parts
    ]
