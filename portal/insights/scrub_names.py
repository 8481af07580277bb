"""People's names in ticket text: the ticket's known people (with Russian case forms) and greeting or sign-off names."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

# Names that are everyday words too: only a capitalised "Will", "May" or "Вера" is taken for the person.
COMMON_WORDS = frozenset(
    "may june april august will bill mark rose grant hope faith joy frank max page art pat sue ray jack dawn summer "
    "chase lane drew miles gene penny ruby amber crystal jade rob sky star win guy don sunny rich dean "
    "вера надежда любовь роман слава лев мир злата лада".split()
)
# Words a greeting or sign-off pattern catches that are not people ("Hi Team,", "Спасибо, Вам!").
NOT_NAMES = frozenset(
    "team support there all everyone everybody folks guys sir madam customer customers client user colleague "
    "colleagues friend friends both again great perfect awesome ok okay much the best regards thanks cheers "
    "sincerely yours hello hi department service desk helpdesk sales billing admin administrator manager staff "
    "partner partners mr mrs ms miss dr prof "
    "все всем всё коллеги коллега друзья клиент пользователь поддержка служба команда отдел отлично большое "
    "заранее хорошо понятно вы вам вас вами ваш ваша ваше ваши уважаемый уважаемая уважаемые господа спасибо "
    "администратор менеджер специалист дорогой дорогая снова еще ещё".split()
)
# Russian case endings after a stem: Анна → Анны, Анне, Анну, Анной; Иван → Ивана, Иваном; Смирнов → Смирновым;
# Ковальский → Ковальского, Ковальскому; Петрова → Петровой.
RU_ENDINGS = "(?:а|я|ы|и|е|у|ю|ой|ей|ою|ею|ом|ем|ым|им|ого|его|ому|ему|ую|юю|ая|яя|ий|ый|ь|й)?"
PATRONYMIC = r"[А-ЯЁ][а-яё]+(?:ович|евич|ич|овн|евн|ичн)[а-яё]{0,2}"
INITIAL = r"[A-ZА-ЯЁ]\."
SEP = r"[ \t\u00a0]+"
# "Don" must not eat "Don't".
NOT_CONTRACTION = r"(?!['’](?:t|ll|re|ve|d|m)\b)"

_EN_WORD = r"[A-ZÀ-ÖØ-Þ][a-zß-öø-ÿ]+(?:['’-][A-ZÀ-ÖØ-Þ][a-zß-öø-ÿ]+)?"
_RU_WORD = r"[А-ЯЁ][а-яё]+(?:-[А-ЯЁ][а-яё]+)?"
_RUN = rf"(?:{_EN_WORD}|{_RU_WORD})(?:[ \t]+(?:{_EN_WORD}|{_RU_WORD})){{0,2}}"
_QUOTE = r"^[ \t]*(?:>[ \t]*)*"  # e-mail quoting and Markdown block quotes
_GREETINGS = (
    r"hi|hello|hey|dear|good[ \t]+(?:morning|afternoon|evening)|здравствуйте|добрый[ \t]+(?:день|вечер)|"
    r"доброе[ \t]+утро|привет|приветствую|уважаем(?:ый|ая|ые)"
)
_SIGN_OFFS = (
    r"(?:best|kind|warm|warmest)[ \t]+regards|regards|cheers|thanks|thank[ \t]+you|many[ \t]+thanks|best|"
    r"best[ \t]+wishes|all[ \t]+the[ \t]+best|sincerely|yours[ \t]+(?:sincerely|truly)|take[ \t]+care|"
    r"с[ \t]+уважением|с[ \t]+наилучшими[ \t]+пожеланиями|всего[ \t]+(?:доброго|хорошего)|хорошего[ \t]+дня|"
    r"спасибо|благодарю"
)
# "Hi John," / "Regards, Tom" / "Здравствуйте, Мария Ивановна!": the name ends the phrase, so "Thanks John for…" is
# left alone.
SAME_LINE = re.compile(
    rf"{_QUOTE}(?i:{_GREETINGS}|{_SIGN_OFFS})[ \t]*,?[ \t]+(?:(?:Mr|Mrs|Ms|Miss|Dr|Prof)\.?[ \t]+)?"
    rf"(?P<name>{_RUN})[ \t]*(?=[,!.:;]|$)",
    re.M,
)
# "Best regards,\nAnna Petrova": the signature line holds nothing but the name.
NEXT_LINE = re.compile(rf"{_QUOTE}(?i:{_SIGN_OFFS})[ \t]*[,.!]?[ \t]*\n{_QUOTE[1:]}(?P<name>{_RUN})[ \t]*$", re.M)


def name_spans(text: str, names: Iterable[str] = ()) -> list[tuple[int, int]]:
    """Where people's names are: greeting and sign-off names, then every mention of them and of `names`."""
    greeted = [match.span("name") for pattern in (SAME_LINE, NEXT_LINE) for match in pattern.finditer(text)]
    greeted = [(start, end) for start, end in greeted if not _has_non_name(text[start:end])]
    known = {part: part.lower() in COMMON_WORDS or len(part) < 3 for name in names for part in _parts(name)}
    for start, end in greeted:
        # A name read off a greeting is matched again only capitalised, and never when it is also a word.
        for part in _parts(text[start:end]):
            if part.lower() not in COMMON_WORDS:
                known.setdefault(part, True)
    if not known:
        return greeted
    return greeted + [match.span() for match in _mentions(known).finditer(text)]


def _has_non_name(run: str) -> bool:
    return any(word.lower() in NOT_NAMES for word in run.split())


def _parts(name: str) -> Iterator[str]:
    name = re.sub(r"\([^)]*\)|\S+@\S+", " ", name)  # "Anna Petrova (ACME)", "Anna <anna@example.com>"
    for part in re.findall(r"[^\W\d_]+(?:['’-][^\W\d_]+)*", name):
        if len(part) > 1:
            yield part
        if "-" in part:
            yield from (piece for piece in part.split("-") if len(piece) > 1)


def _mentions(known: dict[str, bool]) -> re.Pattern[str]:
    forms = sorted((_forms(part, capitalised) for part, capitalised in known.items()), key=len, reverse=True)
    part = "(?:" + "|".join(forms) + ")" + NOT_CONTRACTION
    return re.compile(rf"(?<!\w){part}(?!\w)(?:{SEP}(?:{part}|{PATRONYMIC}|{INITIAL})(?!\w))*")


def _forms(part: str, capitalised: bool) -> str:
    """A part of a name as a pattern: any case (or capitalised only), Russian names in any grammatical case."""
    word = part.lower()
    stem = _stem(word)

    def body(word: str, stem: str | None) -> str:
        return f"(?:{_letters(word)}|{_letters(stem)}{RU_ENDINGS})" if stem is not None else _letters(word)

    if not capitalised:
        return f"(?i:{body(word, stem)})"
    rest = body(word[1:], None if stem is None else stem[1:])
    return f"{_letters(part[0].upper(), keep_case=True)}(?i:{rest})"


def _stem(word: str) -> str | None:
    """What Russian case endings attach to; None for a name that does not decline (or not in Cyrillic)."""
    if not re.search("[а-яё]", word):
        return None
    # Ковальский, Толстой, Ковальская decline as adjectives; Дмитрий or Василий as nouns (Дмитрию, Дмитрием).
    if len(word) > 4 and word.endswith(("ский", "цкий", "кий", "ской", "цкой", "ый", "ой", "ая", "яя")):
        stem = word[:-2]
    elif word[-1] in "аяйьо":  # Анна → Анн-ы, Игорь → Игор-я, Дмитрий → Дмитри-я
        stem = word[:-1]
    else:
        stem = word
    return stem if len(stem) >= 2 else None


def _letters(word: str, *, keep_case: bool = False) -> str:
    # "Пётр" is "Петра" in the genitive, and many people write е for ё.
    out = []
    for char in word:
        if char.lower() in "её":
            out.append("[ЕЁ]" if keep_case and char.isupper() else "[её]")
        else:
            out.append(re.escape(char))
    return "".join(out)
