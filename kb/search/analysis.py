"""Text analysis for English and Russian: word splitting, folding, stop words and Snowball stemming."""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache

from whoosh.analysis import Filter, LowercaseFilter, RegexTokenizer, StopFilter
from whoosh.lang import stemmer_for_language
from whoosh.lang.stopwords import stoplists

__all__ = ["STOP_WORDS", "exact_analyzer", "fold", "stem", "stemmed_analyzer", "words"]

# Combining accents are part of a word: Russian texts mark stress with U+0301 ("обраще́ние").
WORD_PATTERN = r"[\w\u0300-\u036f]+"
_WORD_RE = re.compile(WORD_PATTERN)
_ACCENTS_RE = re.compile(r"[\u0300-\u036f]")
# Both lists at once: Latin and Cyrillic stop words cannot collide, and a Russian article mentioning
# an English product (or the reverse) is analysed the same way as the query that looks for it.
_EN_EXTRA = (
    # What is left of contractions once apostrophes split words: I'd, we'll, I'm, you're, don't…
    "d ll m re ve don didn doesn isn aren wasn weren hasn haven hadn couldn wouldn shouldn mustn needn"
    " mightn shan would could might shall must"
    # Quantifiers that frame a question ("how many", "how much") rather than say what it is about.
    " many much"
)
_RU_EXTRA = (
    # Whole paradigms of the question and relative pronouns: the stemmer turns "какие", "каком" into
    # "как", so leaving any form out lets question words match random sentences.
    "какое какие какого каком каким какую каких какими какому какова каков каковы"
    " который которая которое которые которого которой котором которым которую которых которыми"
    " которому кого кому кем ком чему чём сколько почему чей чья чье чьи это эта этим этих этими этому"
    " такая такое такие такого таком таким такую таких такими такому"
    " чьих чьим чьей чьего чьему чьими чью"
    " весь вся всем всеми всей"
    " свой своя свое свои своего своей своих своим своими своему своем свою"
    " наш наша наше наши нашего нашей нашем нашим нашими нашу нашему наших"
    " ваш ваша ваше ваши вашего вашей вашем вашим вашими вашу вашему ваших"
    " мое мои моего моей моем моим моими мою моему моих"
    " также"
)
STOP_WORDS = frozenset(stoplists["en"] | stoplists["ru"] | set(_EN_EXTRA.split()) | set(_RU_EXTRA.split()))
_CYRILLIC_RE = re.compile(r"[\u0400-\u04ff]")

_stem_en = lru_cache(maxsize=200_000)(stemmer_for_language("en"))
_stem_ru = lru_cache(maxsize=200_000)(stemmer_for_language("ru"))


def fold(word: str) -> str:
    """Lowercase, without stress marks, ё written as е (Russian readers treat them as one letter)."""
    return _ACCENTS_RE.sub("", word.lower()).replace("ё", "е")


def stem(word: str) -> str:
    """Snowball stem of a folded word, in the language its script says (Cyrillic → Russian)."""
    if word.isdigit():
        return word
    if _CYRILLIC_RE.search(word):
        return _stem_ru(word)
    return _stem_en(word)


def words(text: str) -> list[str]:
    """The folded words of a text, stop words included, in order."""
    return [fold(match) for match in _WORD_RE.findall(text)]


class FoldFilter(Filter):
    """Applies `fold` after the LowercaseFilter."""

    def __call__(self, tokens: Iterator) -> Iterator:
        for token in tokens:
            if "ё" in token.text or _ACCENTS_RE.search(token.text):
                token.text = fold(token.text)
            yield token


class ScriptStemFilter(Filter):
    """Stems each token with the Snowball stemmer of its script's language."""

    def __call__(self, tokens: Iterator) -> Iterator:
        for token in tokens:
            if not token.stopped:
                token.text = stem(token.text)
            yield token


def exact_analyzer():  # noqa: ANN201 - a whoosh analyzer chain
    """Folded, unstemmed words without stop words: exact matches, prefixes and spelling."""
    return (
        RegexTokenizer(WORD_PATTERN)
        | LowercaseFilter()
        | FoldFilter()
        | StopFilter(stoplist=STOP_WORDS, minsize=1)
    )


def stemmed_analyzer():  # noqa: ANN201 - a whoosh analyzer chain
    """`exact_analyzer` followed by per-script Snowball stemming: the main ranking fields."""
    return exact_analyzer() | ScriptStemFilter()
