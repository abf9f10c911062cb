"""A small, realistic knowledge base built in code for the matcher's tests."""

from __future__ import annotations

from datetime import date

from bot.config import MatchingConfig
from bot.knowledge.model import (
    AnswerEntry,
    DigestSettings,
    Funding,
    Knowledge,
    Origin,
    Phase,
    Provider,
    Route,
    StudyMode,
    Subject,
)

CONFIG = MatchingConfig(answer_threshold=0.60, answer_margin=0.04, suggest_threshold=0.38, suggestions=3)
_ORIGIN = Origin("answers/test.yaml", 1)
_DAY = date(2026, 11, 20)

STOP_WORDS = frozenset(
    [
        "i",
        "im",
        "me",
        "my",
        "a",
        "an",
        "the",
        "is",
        "are",
        "am",
        "be",
        "do",
        "does",
        "did",
        "can",
        "could",
        "would",
        "should",
        "will",
        "to",
        "of",
        "in",
        "on",
        "for",
        "and",
        "or",
        "it",
        "its",
        "this",
        "that",
        "what",
        "whats",
        "how",
        "who",
        "when",
        "where",
        "which",
        "if",
        "as",
        "at",
        "with",
        "about",
        "so",
        "there",
        "their",
        "them",
        "you",
        "your",
        "get",
        "got",
        "have",
        "has",
        "had",
        "any",
        "just",
        "still",
        "want",
    ]
)

SYNONYMS: dict[str, tuple[str, ...]] = {
    "bursary": ("bursery", "bursarys", "grant", "funding"),
    "lower second": ("2:2", "2.2", "2 2", "two two"),
    "upper second": ("2:1", "2.1", "2 1"),
    "teacher training": ("itt", "initial teacher training", "teaching course"),
    "salary": ("pay", "paid", "wage", "earn"),
    "degree": ("bachelors", "ba", "bsc", "undergraduate degree"),
}

# id, topic, question, examples, keywords
ANSWERS: tuple[tuple[str, str, str, tuple[str, ...], tuple[str, ...]], ...] = (
    (
        "bursary-amounts",
        "bursary_amounts",
        "How much is the bursary for my subject?",
        (
            "how much do you get to train as a physics teacher",
            "what bursaries are there for maths teacher training",
            "is there money for training to teach chemistry",
            "I'm 34 with a chemistry degree, what funding is there for training",
            "how big is the bursary for computing",
            "do you get a bursary to train to teach",
        ),
        ("bursary", "tax-free"),
    ),
    (
        "bursary-eligibility",
        "bursary_eligibility",
        "Who can get a bursary?",
        (
            "am i eligible for the bursary if i already have a masters",
            "can international students get the bursary",
            "does my degree class affect whether i get a bursary",
            "who qualifies for a teacher training bursary",
            "can i get the bursary on a salaried route",
            "is the bursary only for people with a first",
        ),
        ("eligible", "eligibility", "qualify"),
    ),
    (
        "entry-degree-class",
        "entry_degree_class",
        "Can I train to teach with a 2:2 or a third?",
        (
            "i got a 2:2 can i still become a teacher",
            "will a third class degree stop me training to teach",
            "does degree classification matter for a pgce",
            "i have a lower second in history is that good enough",
            "what degree do I need to be a teacher",
            "is a 2.2 enough for teacher training",
        ),
        ("degree class", "classification", "third", "lower second"),
    ),
    (
        "age-limit",
        "age",
        "Am I too old to train as a teacher?",
        (
            "is there an age limit for teacher training",
            "i'm 52 is it too late to become a teacher",
            "can you retrain as a teacher in your forties",
            "am i too old at 45 to do a pgce",
            "will schools hire an older trainee",
            "too late to start teaching at 60",
        ),
        ("age", "old", "too late", "older"),
    ),
    (
        "pgce-university",
        "pgce_university",
        "What is a university-led PGCE?",
        (
            "how does a pgce at uni work",
            "what do you do on a university pgce course",
            "is a pgce a masters level qualification",
            "how long is a full time pgce",
            "what is the university route into teaching",
            "pgce at university what is it like",
        ),
        ("pgce", "university"),
    ),
    (
        "salaried-route",
        "school_direct_salaried",
        "Can I get paid while I train?",
        (
            "is there a way to train to teach and earn a salary at the same time",
            "i cant afford to stop working, can i train on the job",
            "school direct salaried how does it work",
            "paid teacher training routes",
            "can i work in a school and train at the same time",
            "which routes pay you a wage while training",
        ),
        ("salaried", "school direct", "earn while"),
    ),
    (
        "school-experience",
        "school_experience",
        "How can I get experience in a school before I apply?",
        (
            "do i need classroom experience before applying",
            "how do i get some time in a school to see if teaching is for me",
            "can i shadow a teacher for a day",
            "where can i volunteer in a classroom",
            "is school experience required for a pgce",
            "how do i arrange a school visit",
        ),
        ("school experience", "shadow", "volunteer", "classroom experience"),
    ),
    (
        "dbs-check",
        "dbs_health",
        "Do I need a DBS check?",
        (
            "will my caution show up on a dbs",
            "do trainees need an enhanced dbs",
            "i have a criminal record can i still teach",
            "who pays for the dbs check",
            "does a old conviction stop me teaching",
            "what health checks are there for teacher training",
        ),
        ("dbs", "criminal record", "conviction", "caution"),
    ),
    (
        "application-timing",
        "application_timing",
        "When should I apply for teacher training?",
        (
            "when do applications open for courses starting next september",
            "is it too late to apply for this year",
            "when is the deadline for teacher training applications",
            "how early should i apply for a pgce",
            "when does apply for teacher training open",
            "can i apply in the summer",
        ),
        ("deadline", "apply", "applications open"),
    ),
    (
        "teacher-pensions",
        "out_of_scope",
        "How does the teachers' pension scheme work for current teachers?",
        (
            "how do i transfer my teachers pension",
            "what is my pension worth after 20 years of teaching",
            "how do i deal with a badly behaved class",
            "can you help me with my tax return",
            "what is the weather like today",
            "how do i complain about my child's school",
        ),
        ("pension", "behaviour", "tax return"),
    ),
)


def answer(
    ident: str, topic: str, question: str, examples: tuple[str, ...], keywords: tuple[str, ...]
) -> AnswerEntry:
    """Builds one answer entry with placeholder reply text."""
    return AnswerEntry(
        id=ident,
        topic=topic,
        question=question,
        examples=examples,
        keywords=keywords,
        answer="An answer.",
        follow_ups=(),
        structured=None,
        sources=("https://www.gov.uk/",),
        reviewed=_DAY,
        origin=_ORIGIN,
    )


def subject(ident: str, name: str, *aliases: str) -> Subject:
    """Builds one subject."""
    return Subject(ident, name, aliases, (Phase.SECONDARY,), _ORIGIN)


def route(ident: str, name: str, topic: str, *aliases: str) -> Route:
    """Builds one route with placeholder details."""
    return Route(
        id=ident,
        name=name,
        aliases=aliases,
        topic=topic,
        summary="s",
        suits="s",
        entry="e",
        length="l",
        money="m",
        award="a",
        apply="a",
        funding=Funding.FEE,
        needs_degree=True,
        phases=(Phase.SECONDARY,),
        modes=(StudyMode.FULL_TIME,),
        bursary_eligible=True,
        needs_teaching_experience=False,
        lives_in="england",
        visa="student",
        sources=("https://www.gov.uk/",),
        reviewed=_DAY,
        origin=_ORIGIN,
    )


def provider(ident: str, name: str) -> Provider:
    """Builds one provider with placeholder details."""
    return Provider(
        id=ident,
        name=name,
        kind="university",
        accreditation="accredited",
        region="South Yorkshire",
        town="Sheffield",
        lat=53.38,
        lon=-1.47,
        phases=(Phase.SECONDARY,),
        subjects=("all",),
        routes=("pgce-university",),
        website="https://www.example.org/",
        email=None,
        phone=None,
        digest=DigestSettings((), None, "weekly", "monday", "09:00", "full"),
        notes="n",
        unverified=None,
        sources=("https://www.example.org/",),
        reviewed=_DAY,
        origin=_ORIGIN,
    )


def knowledge(answers: tuple[AnswerEntry, ...] | None = None) -> Knowledge:
    """Builds the sample knowledge, optionally with other answer entries."""
    entries = answers if answers is not None else tuple(answer(*row) for row in ANSWERS)
    return Knowledge(
        facts={},
        subjects={
            s.id: s
            for s in (
                subject("physics", "Physics", "phys"),
                subject("mathematics", "Mathematics", "maths", "math"),
                subject("history", "History"),
                subject("chemistry", "Chemistry"),
                subject("computing", "Computing", "computer science", "ict"),
                subject("design-and-technology", "Design and technology", "d&t", "dt"),
                subject("english", "English", "english literature"),
            )
        },
        routes={
            r.id: r
            for r in (
                route("pgce-university", "University-led PGCE", "pgce_university", "pgce", "uni pgce"),
                route("scitt", "School-centred initial teacher training", "scitt", "scitt"),
                route(
                    "school-direct-salaried",
                    "School Direct (salaried)",
                    "school_direct_salaried",
                    "school direct salaried",
                    "salaried school direct",
                ),
                route("teach-first", "Teach First", "teach_first"),
            )
        },
        providers={
            p.id: p
            for p in (
                provider("sheffield-hallam", "Sheffield Hallam University"),
                provider("ucl", "UCL"),
            )
        },
        answers={a.id: a for a in entries},
        synonyms=SYNONYMS,
        stop_words=STOP_WORDS,
        messages={},
    )
