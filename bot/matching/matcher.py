"""The public question matcher: from a person's text to a Match against the answer entries."""

from __future__ import annotations

from bot.config import MatchingConfig
from bot.knowledge.model import Knowledge
from bot.matching.decide import Candidate, Match, MatchStatus, Part, decide, out_of_scope
from bot.matching.entities import Entities, EntityFinder
from bot.matching.index import Index
from bot.matching.normalise import Normalised, Normaliser, clean, split_clauses
from bot.matching.scoring import Scored, rank

__all__ = ["Candidate", "Entities", "Match", "MatchStatus", "Matcher"]

# Pieces beyond this many are ignored: nobody asks more questions than this in one message.
MAX_CLAUSES = 8
# Each piece keeps this many ranked entries, enough for the margin, alternatives and a spare.
RANK_DEPTH = 6
# A message needs this many informative words, unless it names a keyword or an entity.
MIN_INFORMATIVE = 2
# The topic a named degree class points to: having none is its own topic, the rest are about entry.
NO_DEGREE_TOPIC = "no_degree"
DEGREE_CLASS_TOPIC = "entry_degree_class"


class Matcher:
    """Matches questions to answer entries; built once per Knowledge, then pure and deterministic."""

    def __init__(self, knowledge: Knowledge, config: MatchingConfig) -> None:
        self.knowledge = knowledge
        self.config = config
        self.normaliser = Normaliser(knowledge.synonyms, knowledge.stop_words)
        self.index = Index(knowledge, self.normaliser)
        self.finder = EntityFinder(knowledge)
        self._route_topics = {r.id: r.topic for r in knowledge.routes.values()}

    def match(self, text: str) -> Match:
        """Returns the verdict on one question; any string is accepted."""
        cleaned = clean(text)
        entities = self.finder.find(cleaned)
        whole = self.prepare(cleaned)
        if self._is_noise(whole, entities):
            return out_of_scope(text, entities)
        parts = [Part(cleaned, self._rank(whole, entities), whole=True)]
        clauses = split_clauses(cleaned)
        if len(clauses) > 1:
            parts.extend(self._clause_part(clause) for clause in clauses[:MAX_CLAUSES])
        return decide(text, parts, entities, self.config)

    def prepare(self, text: str) -> Normalised:
        """Returns the scoring tokens of a text: stemmed, typos corrected, synonyms folded, no stop words."""
        return self.normaliser.prepare(self.index.correct(self.normaliser.stems(text)))

    def _clause_part(self, clause: str) -> Part:
        query = self.prepare(clause)
        if not self._worth_scoring(query):
            return Part(clause, ())
        return Part(clause, self._rank(query, self.finder.find(clause)))

    def _rank(self, query: Normalised, entities: Entities) -> tuple[Candidate, ...]:
        topics = {self._route_topics[r] for r in entities.routes if r in self._route_topics}
        if entities.degree_class is not None:
            topics.add(NO_DEGREE_TOPIC if entities.degree_class == "none" else DEGREE_CLASS_TOPIC)
        return tuple(self._candidate(s) for s in rank(self.index, query, topics, RANK_DEPTH))

    def _candidate(self, scored: Scored) -> Candidate:
        entry = self.index.entries[scored.entry]
        return Candidate(entry.id, entry.topic, scored.score, self.index.phrasings[scored.phrasing].wording)

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
