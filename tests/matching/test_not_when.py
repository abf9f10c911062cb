"""An entry's not_when words take it out of the running for a message that has them."""

from __future__ import annotations

from dataclasses import replace

from matching_sample import CONFIG, knowledge

from bot.matching.matcher import Matcher


def test_an_entry_is_left_out_when_the_message_has_its_not_when_words() -> None:
    base = knowledge()
    question = "what does the bursary pay"
    best = Matcher(base, CONFIG).match(question).best
    assert best is not None
    ruled = replace(base.answers[best.entry], not_when=("pays", "salary"))
    changed = replace(base, answers={**base.answers, best.entry: ruled})
    match = Matcher(changed, CONFIG).match(question)
    assert best.entry not in [c.entry for c in (match.best, *match.alternatives) if c is not None]
    assert Matcher(changed, CONFIG).match("how much is the bursary").best is not None
