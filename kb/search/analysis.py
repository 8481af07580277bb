"""Text analysis for English and Russian: word splitting, folding, stop words and Snowball stemming."""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache

from whoosh.analysis import Filter, LowercaseFilter, StopFilter, Token, Tokenizer
from whoosh.lang import stemmer_for_language
from whoosh.lang.stopwords import stoplists

__all__ = [
    "STOP_WORDS",
    "WORD_PATTERN",
    "exact_analyzer",
    "fold",
    "prefix",
    "prefix_analyzer",
    "script_language",
    "stem",
    "stemmed_analyzer",
    "words",
]

# Combining accents are part of a word: Russian texts mark stress with U+0301 ("обраще́ние").
WORD_PATTERN = r"[\w\u0300-\u036f]+"
# Hyphenated compounds ("e-mail", "wi-fi", "sign-in") are indexed as their parts and joined, so
# "email" finds "e-mail" and the other way round.
_COMPOUND_RE = re.compile(WORD_PATTERN + r"(?:[-‐‑]" + WORD_PATTERN + r")*")
_PART_RE = re.compile(WORD_PATTERN)
_ACCENTS_RE = re.compile(r"[\u0300-\u036f]")
_CYRILLIC_RE = re.compile(r"[\u0400-\u04ff]")

_EN_EXTRA = (
    # What is left of contractions once apostrophes split words: I'd, we'll, I'm, you're, don't…
    "d ll m re ve don didn doesn isn aren wasn weren hasn haven hadn couldn wouldn shouldn mustn needn"
    " mightn shan would could might shall must"
    # Quantifiers that frame a question ("how many", "how much") rather than say what it is about.
    " many much"
)
_RU_EXTRA = (
    # Whole paradigms of pronouns: the stemmer turns "какие", "каком" into "как", so leaving any
    # form out lets question words match random sentences.
    "какое какие какого каком каким какую каких какими какому какова каков каковы"
    " который которая которое которые которого которой котором которым которую которых которыми"
    " которому кого кому кем ком чему чём сколько почему чей чья чье чьи чьих чьим чьей чьего чьему"
    " чьими чью это эта этим этих этими этому такая такое такие такого таком таким такую таких такими"
    " такому весь вся всем всеми всей свой своя свое свои своего своей своих своим своими своему"
    " своем свою наш наша наше наши нашего нашей нашем нашим нашими нашу нашему наших ваш ваша ваше"
    " ваши вашего вашей вашем вашим вашими вашу вашему ваших мое мои моего моей моем моим моими мою"
    " моему моих также"
)
# Both languages at once: Latin and Cyrillic stop words cannot collide, and a Russian article that
# mentions an English product (or the reverse) is analysed the same way as the query looking for it.
STOP_WORDS = frozenset(stoplists["en"] | stoplists["ru"] | set(_EN_EXTRA.split()) | set(_RU_EXTRA.split()))

_stem_en = lru_cache(maxsize=200_000)(stemmer_for_language("en"))
_stem_ru = lru_cache(maxsize=200_000)(stemmer_for_language("ru"))


def fold(word: str) -> str:
    """Lowercase, without stress marks, ё written as е (Russian readers treat them as one letter)."""
    return _ACCENTS_RE.sub("", word.lower()).replace("ё", "е")


def script_language(text: str) -> str:
    """ "ru" for text with Cyrillic letters, else "en": the language its script says."""
    return "ru" if _CYRILLIC_RE.search(text) else "en"


def stem(word: str) -> str:
    """Snowball stem of a folded word, in the language its script says (Cyrillic → Russian)."""
    if word.isdigit():
        return word
    if script_language(word) == "ru":
        return _stem_ru(word)
    return _stem_en(word)


# A word's first letters: a coarser match than Snowball's stems, which leave derivations apart
# (Шотландия → шотланд, шотландский → шотландск; учредить → учред, учреждение → учрежден).
PREFIX_LENGTH = 5


def prefix(word: str) -> str:
    """The first PREFIX_LENGTH letters of a folded word (numbers whole)."""
    return word if word.isdigit() else word[:PREFIX_LENGTH]


def _split(text: str) -> Iterator[str]:
    for match in _COMPOUND_RE.finditer(text):
        compound = match.group()
        parts = _PART_RE.findall(compound)
        yield from parts
        if len(parts) > 1:
            yield "".join(parts)


def words(text: str) -> list[str]:
    """The folded words of a text, stop words included, in order (compounds: parts, then joined)."""
    return [fold(word) for word in _split(text)]


class CompoundTokenizer(Tokenizer):
    """Whoosh tokenizer yielding exactly what `words` splits (before folding)."""

    def __call__(self, value: str, positions: bool = False, chars: bool = False, **kwargs) -> Iterator[Token]:
        # chars are not tracked: snippets are built from the stored text, not from token offsets.
        token = Token(positions, False, removestops=kwargs.get("removestops", True), mode=kwargs.get("mode", ""))
        for pos, text in enumerate(_split(value)):
            token.text, token.boost, token.stopped = text, 1.0, False
            if positions:
                token.pos = pos
            yield token


class FoldFilter(Filter):
    """Applies `fold` after the LowercaseFilter."""

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        for token in tokens:
            if "ё" in token.text or _ACCENTS_RE.search(token.text):
                token.text = fold(token.text)
            yield token


class ScriptStemFilter(Filter):
    """Stems each token with the Snowball stemmer of its script's language."""

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        for token in tokens:
            if not token.stopped:
                token.text = stem(token.text)
            yield token


class PrefixFilter(Filter):
    """Cuts each token to its `prefix`."""

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        for token in tokens:
            if not token.stopped:
                token.text = prefix(token.text)
            yield token


def exact_analyzer():
    """Folded, unstemmed words without stop words: exact matches, prefixes and spelling."""
    return CompoundTokenizer() | LowercaseFilter() | FoldFilter() | StopFilter(stoplist=STOP_WORDS, minsize=1)


def stemmed_analyzer():
    """`exact_analyzer` followed by per-script Snowball stemming: the main ranking fields."""
    return exact_analyzer() | ScriptStemFilter()


def prefix_analyzer():
    """`exact_analyzer` followed by `prefix`: a weaker ranking channel that joins related words."""
    return exact_analyzer() | PrefixFilter()
