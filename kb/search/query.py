"""User text → the words and weighted terms the engine looks for; no operators, wildcards or fields."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import NamedTuple

from kb.search.analysis import FORMS, STOP_WORDS, words
from kb.search.model import QueryTooLong
from kb.search.scoring import RANKING, Ranking

__all__ = ["MAX_QUERY_CHARS", "MAX_QUERY_TERMS", "QueryTerm", "UserQuery", "parse_user_text", "plan"]

MAX_QUERY_CHARS = 500
MAX_QUERY_TERMS = 32
# How customers frame a request, not what it is about: "I'd like to…", "is there a way to…". Left in,
# "like" and "way" match articles about Facebook likes or any title phrased the same way.
_FILLERS = re.compile(
    r"\b(?:(?:i|we)(?:['’]?d| would) like to|is (?:it|there) (?:possible|a way|any way)|(?:i|we) (?:want|need|wish) to"
    r"|(?:can|could) (?:you|anyone|someone) (?:tell|help|show)|please)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class UserQuery:
    """The words of what the user typed. Everything is a word: `public:false`, `a*`, `(x)` and `?`
    carry no meaning, so customers cannot reach other fields or trigger expensive expansions."""

    text: str
    words: tuple[str, ...]  # folded, distinct, in order; stop words dropped unless nothing else is left


class QueryTerm(NamedTuple):  # a tuple: searches key their idf by it, and a tuple hashes in C
    text: str  # the word in its channel's form
    channel: str  # Channel.name
    weight: float
    word: int  # index into UserQuery.words of the word it stands for


def parse_user_text(text: str) -> UserQuery:
    # The length check comes first and costs O(1): a 16k-character paste is refused before any work.
    if len(text) > MAX_QUERY_CHARS:
        raise QueryTooLong(f"a search may have at most {MAX_QUERY_CHARS} characters")
    found = words(_FILLERS.sub(" ", text))
    content = [word for word in found if word not in STOP_WORDS]
    chosen = tuple(dict.fromkeys(content or found))
    if len(chosen) > MAX_QUERY_TERMS:
        raise QueryTooLong(f"a search may have at most {MAX_QUERY_TERMS} different words")
    return UserQuery(text=text, words=chosen)


def plan(user: UserQuery, fixes: dict[str, str], ranking: Ranking = RANKING) -> list[QueryTerm]:
    """Weighted terms per channel: each word in the channel's form, and the same for its correction.
    A word with no form in a channel lends that channel's weight to its `fallback` channel's term."""
    forms = {channel.name: channel.form for channel in ranking.channels}
    terms: dict[tuple[str, str], QueryTerm] = {}
    for index, word in enumerate(user.words):
        for form, weight in ((word, 1.0), (fixes.get(word), ranking.correction_weight)):
            if not form:
                continue
            for channel in ranking.channels:
                name, text = channel.name, FORMS[channel.form](form)
                if not text and channel.fallback:
                    name, text = channel.fallback, FORMS[forms[channel.fallback]](form)
                if not text or channel.weight <= 0:
                    continue
                key = (name, text)
                if key in terms and name != channel.name:
                    terms[key] = terms[key]._replace(weight=terms[key].weight + weight * channel.weight)
                elif key not in terms:
                    terms[key] = QueryTerm(text, name, weight * channel.weight, index)
    return list(terms.values())
