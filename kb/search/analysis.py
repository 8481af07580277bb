"""Text analysis for English and Russian: word splitting, folding, stop words and Snowball stemming."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from functools import lru_cache
from itertools import filterfalse

from whoosh.analysis import Token, Tokenizer
from whoosh.lang import stemmer_for_language
from whoosh.lang.stopwords import stoplists

__all__ = [
    "FORMS",
    "STOP_WORDS",
    "WORD_PATTERN",
    "FormTokenizer",
    "fold",
    "index_words",
    "prefix",
    "script_language",
    "stem",
    "words",
]

# Combining accents are part of a word: Russian texts mark stress with U+0301 ("обраще́ние").
WORD_PATTERN = r"[\w\u0300-\u036f]+"
# Hyphenated compounds ("e-mail", "wi-fi", "sign-in") are indexed as their parts and joined, so
# "email" finds "e-mail" and the other way round.
_HYPHENS = "[-‐‑]"
_COMPOUND_RE = re.compile(WORD_PATTERN + f"(?:{_HYPHENS}" + WORD_PATTERN + ")*")
_HYPHEN_RE = re.compile(_HYPHENS)
_PART_RE = re.compile(WORD_PATTERN)
_FOLDING = str.maketrans({"ё": "е", **dict.fromkeys(map(chr, range(0x300, 0x370)))})
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


def fold(text: str) -> str:
    """Lowercase, without stress marks, ё written as е (Russian readers treat them as one letter)."""
    return text.lower().translate(_FOLDING)


def script_language(text: str) -> str:
    """ "ru" for text with Cyrillic letters, else "en": the language its script says."""
    return "ru" if _CYRILLIC_RE.search(text) else "en"


@lru_cache(maxsize=200_000)
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
    """The first PREFIX_LENGTH letters of a longer folded word; "" for shorter words and numbers,
    which the exact words already match."""
    return word[:PREFIX_LENGTH] if len(word) > PREFIX_LENGTH and not word.isdigit() else ""


def words(text: str) -> list[str]:
    """The folded words of a text, stop words included, in order (compounds: parts, then joined)."""
    folded = fold(text)
    found = _COMPOUND_RE.findall(folded)
    # One regex pass finds every word; only the compounds, in the texts that have any, are split.
    if not _HYPHEN_RE.search(folded):
        return found
    split: list[str] = []
    for compound in found:
        if _HYPHEN_RE.search(compound):
            parts = _PART_RE.findall(compound)
            split += parts
            split.append("".join(parts))
        else:
            split.append(compound)
    return split


# Channel.form → what a folded word becomes in that channel's fields (and in the query).
FORMS: dict[str, Callable[[str], str]] = {"stem": stem, "exact": lambda word: word, "prefix": prefix}


@lru_cache(maxsize=8)
def index_words(text: str) -> tuple[str, ...]:
    """The folded words of a text without stop words: what every ranking field indexes, in its form.

    Cached for the few texts of the article being indexed: its title is indexed as stems, words and
    beginnings, its body as words and beginnings, and each text is split and folded once."""
    return tuple(filterfalse(STOP_WORDS.__contains__, words(text)))


class FormTokenizer(Tokenizer):
    """A whole Whoosh analyzer in one step: the `index_words` of a field's text, in one of `FORMS`."""

    def __init__(self, form: str) -> None:
        self.form = form

    def texts(self, value: str) -> list[str]:
        """The texts of the tokens a call yields for `value`, in order: what a rebuild counts
        (kb.search.segment), without a Token for each word."""
        return list(filter(None, map(FORMS[self.form], index_words(value))))

    def __call__(self, value: str, positions: bool = False, chars: bool = False, **kwargs) -> Iterator[Token]:
        # chars are not tracked: snippets are built from the stored text, not from token offsets.
        convert = FORMS[self.form]
        token = Token(positions, False, removestops=kwargs.get("removestops", True), mode=kwargs.get("mode", ""))
        for pos, word in enumerate(index_words(value)):
            text = convert(word)
            if text:
                token.text, token.boost, token.stopped = text, 1.0, False
                if positions:
                    token.pos = pos
                yield token
