"""The public question matcher: from a person's text to a Match against the answer entries."""

from __future__ import annotations

from dataclasses import dataclass, replace

from bot.config import MatchingConfig
from bot.knowledge.model import Knowledge
from bot.matching.decide import Candidate, Match, MatchStatus, Part, decide, out_of_scope
from bot.matching.entities import Entities, EntityFinder, degree_class
from bot.matching.index import Index
from bot.matching.intent import clause_asks
from bot.matching.normalise import Normalised, Normaliser, clean, split_clauses
from bot.matching.scoring import Scored, rank

__all__ = ["Candidate", "Entities", "Match", "MatchStatus", "Matcher"]

# Pieces beyond this many are ignored: nobody asks more questions than this in one message.
MAX_CLAUSES = 8
# Each piece keeps this many ranked entries, enough for the margin, alternatives and a spare.
RANK_DEPTH = 6
# A message needs this many informative words, unless it names a keyword or an entity.
MIN_INFORMATIVE = 2
# A clause that only gives background ("nursery fees are more than my rent") can match an entry well by
# chance, so its scores count this share when the pieces of a message compete.
BACKGROUND_CLAUSE = 0.8
# A clause is read in the light of the whole message: its scores count this share, the whole message's
# scores for the same entries the rest.
CLAUSE_SHARE = 0.7
# The topic a named degree class points to: having none is its own topic, the rest are about entry.
NO_DEGREE_TOPIC = "no_degree"
DEGREE_CLASS_TOPIC = "entry_degree_class"
# Having no degree rules whole routes out, so it says more about the right answer than a route name does;
# and it holds for every clause of the message, not only the one that says it.
NO_DEGREE_BONUSES = 2.0


@dataclass(frozen=True, slots=True)
class _Context:
    """What the whole message says that its clauses are read against."""

    text: str
    no_degree: bool
    scores: dict[str, float]


class Matcher:
    """Matches questions to answer entries; built once per Knowledge, then pure and deterministic."""

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

    def match(self, text: str) -> Match:
        """Returns the verdict on one question; any string is accepted."""
        cleaned = clean(text)
        entities = self.finder.find(cleaned)
        whole = self.prepare(cleaned)
        if self._is_noise(whole, entities):
            return out_of_scope(text, entities)
        overall = self._rank(whole, entities.routes, entities.degree_class)
        parts = [Part(cleaned, overall, whole=True)]
        clauses = split_clauses(cleaned)
        if len(clauses) > 1:
            context = _Context(cleaned, entities.degree_class == "none", {c.entry: c.score for c in overall})
            parts.extend(
                self._clause_part(context, clause, order)
                for order, clause in enumerate(clauses[:MAX_CLAUSES])
            )
        return decide(text, _without(parts, self._ruled_out(whole)), entities, self.config)

    def prepare(self, text: str) -> Normalised:
        """Returns the scoring tokens of a text: stemmed, typos corrected, synonyms folded, no stop words."""
        return self.normaliser.prepare(self.index.correct(self.normaliser.stems(text)))

    def _clause_part(self, context: _Context, clause: str, order: int) -> Part:
        query = self.prepare(clause)
        if not self._worth_scoring(query):
            return Part(clause, (), order=order)
        degree = "none" if context.no_degree else degree_class(clause)
        share = CLAUSE_SHARE * (1.0 if clause_asks(context.text, clause) else BACKGROUND_CLAUSE)
        ranked = (
            _in_context(c, share, context) for c in self._rank(query, self.finder.routes(clause), degree)
        )
        return Part(clause, tuple(sorted(ranked, key=lambda c: (-c.score, c.entry))), order=order)

    def _rank(self, query: Normalised, routes: tuple[str, ...], degree: str | None) -> tuple[Candidate, ...]:
        """Ranks the entries for one piece, with topic bonuses for the routes and degree class it names."""
        topics = {self._route_topics[r]: 1.0 for r in routes if r in self._route_topics}
        if degree == "none":
            topics[NO_DEGREE_TOPIC] = NO_DEGREE_BONUSES
        elif degree is not None:
            topics[DEGREE_CLASS_TOPIC] = 1.0
        return tuple(self._candidate(s) for s in rank(self.index, query, topics, RANK_DEPTH))

    def _candidate(self, scored: Scored) -> Candidate:
        entry = self.index.entries[scored.entry]
        return Candidate(entry.id, entry.topic, scored.score, self.index.phrasings[scored.phrasing].wording)

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


def _in_context(candidate: Candidate, share: float, context: _Context) -> Candidate:
    """Blends a clause's score for an entry with the whole message's score for it."""
    blended = share * candidate.score + (1 - CLAUSE_SHARE) * context.scores.get(candidate.entry, 0.0)
    return Candidate(candidate.entry, candidate.topic, round(blended, 4), candidate.phrasing)


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
