"""Personal data in ticket text bound for a public article: finding it, replacing it with placeholders, reporting it."""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum

from portal.insights.scrub_names import name_spans


class Kind(StrEnum):
    # In order of precedence when two detections of the same length overlap: the more specific first.
    EMAIL = "email"
    CARD = "card"
    BANK_ACCOUNT = "bank_account"  # an IBAN or a 20-digit Russian bank account
    TICKET = "ticket"
    ORDER = "order"
    CUSTOMER = "customer"  # a customer's account or contract number ("лицевой счёт" before "счёт": an invoice)
    INVOICE = "invoice"
    PHONE = "phone"
    ADDRESS = "address"
    NAME = "name"
    CREDENTIAL = "credential"  # a secret in a link's query: ?token=…, ?key=…


PLACEHOLDERS: dict[str, dict[Kind, str]] = {
    "en": {
        Kind.EMAIL: "[email]",
        Kind.CARD: "[card number]",
        Kind.BANK_ACCOUNT: "[bank account]",
        Kind.TICKET: "[ticket number]",
        Kind.ORDER: "[order number]",
        Kind.INVOICE: "[invoice number]",
        Kind.CUSTOMER: "[customer number]",
        Kind.PHONE: "[phone]",
        Kind.ADDRESS: "[address]",
        Kind.NAME: "[name]",
        Kind.CREDENTIAL: "[secret]",
    },
    "ru": {
        Kind.EMAIL: "[email]",
        Kind.CARD: "[номер карты]",
        Kind.BANK_ACCOUNT: "[банковский счёт]",
        Kind.TICKET: "[номер обращения]",
        Kind.ORDER: "[номер заказа]",
        Kind.INVOICE: "[номер счёта]",
        Kind.CUSTOMER: "[номер клиента]",
        Kind.PHONE: "[телефон]",
        Kind.ADDRESS: "[адрес]",
        Kind.NAME: "[имя]",
        Kind.CREDENTIAL: "[секрет]",
    },
}
RANK = {kind: rank for rank, kind in enumerate(Kind)}
# Code and links are not prose: phone-, order- or address-like text there is a version, an id or a path. Only what
# is unmistakable (or checksummed) is taken out of them.
IN_CODE = frozenset({Kind.EMAIL, Kind.CARD, Kind.BANK_ACCOUNT, Kind.CREDENTIAL, Kind.NAME})
IN_LINKS = frozenset({Kind.EMAIL, Kind.CREDENTIAL})


@dataclass(frozen=True, slots=True)
class Span:
    kind: Kind
    original: str
    start: int  # offsets in the original text
    end: int
    replacement: str


@dataclass(frozen=True, slots=True)
class Scrubbed:
    text: str
    spans: tuple[Span, ...]


FENCED_CODE = re.compile(r"^[ \t]{0,3}(`{3,}|~{3,})[^\n]*\n.*?(?:^[ \t]{0,3}\1[`~]*[ \t]*$|\Z)", re.M | re.S)
CODE_SPAN = re.compile(r"(?<!`)(`+)(?!`)(?:(?!\n[ \t]*\n).)+?(?<!`)\1(?!`)", re.S)
# A bracket ends a link ("[https://…](…)") unless it is a placeholder put into one: "?token=[secret]&lang=en".
URL = re.compile(r"(?:https?://|www\.)(?:[^\s<>\[\]`\"']|\[[^\s\[\]]*\](?!\())+", re.I)
LINK_TARGET = re.compile(
    r"\]\([ \t]*<?(?!mailto:|tel:)([^)\s>]+)|^[ \t]{0,3}\[[^\]\n]+\]:[ \t]*<?([^\s>]+)", re.M | re.I
)
QUERY_VALUE = re.compile(r"[?&#;](?P<key>[\w.-]+)=(?P<value>[^&#\s\[\]]+)")
SECRET_KEY = re.compile(
    r"(?:access_|refresh_|id_|auth_|api_?|session_?|reset_?|x-)?"
    r"(?:token|key|secret|sig|signature|code|session|sid|password|passwd|pass|pwd|otp|auth|hash)|"
    r"e-?mail|login|user(?:name)?|phone|tel|uid",
    re.I,
)

EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[^\W\d_]{2,}(?![\w-])")
CARD = re.compile(r"(?<![\w.,/#№-])(?<!\d[ -])\d(?:[ -]?\d){12,18}(?!\w|[.,-]\d)")
CARD_GROUPED = re.compile(r"\d{4}([ -])\d{4}\1\d{4}\1\d{4}")  # written as a card, even with a typo in it
MASKED_CARD = re.compile(r"(?<![\w*•])[\d*xX•]{4}(?:[ -]?[\d*xX•]{4}){2,3}(?:[ -]?[\d*xX•]{1,3})?(?![\w*•])")
IBAN = re.compile(r"(?<!\w)[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]{4}){2,7}(?:[ ]?[A-Z0-9]{1,3})?(?!\w)")
RU_ACCOUNT = re.compile(r"(?<![\w.,-])\d{20}(?!\w|[.,-]\d)")

# A number after its keyword: "ticket #1234", "order number ORD-2024-0042", "заказ № A-12345", "заявка 55". The
# keyword and "number"/"no." stay in the text, the id (with its # or №) is replaced.
_NUMBER_WORD = r"(?:[ \t]+(?P<word>(?i:(?:no|n|nr|num|ref)(?:\.|(?!\w))|number(?!\w)|id(?!\w)|номер(?!\w)|n°)))?"
_IS = r"(?:[ \t]+(?i:is|was|это)(?!\w))?[ \t]*[:—–]?[ \t]*"  # "my order number is 1234", "номер договора — 55"
_ID = r"(?P<id>(?P<mark>[#№][ \t]?)?(?P<body>(?:[A-Za-z]{1,6}-?)?\d[\dA-Z]*(?:[-/][\dA-Z]+)*))(?![\w-]|[.,:/]\d)"
KEYWORDS: tuple[tuple[Kind, str, int], ...] = (  # kind, keywords, digits needed when the id has no # or №
    (
        Kind.TICKET,
        r"tickets?|case|(?:support|service)[ \t]+request|incident|тикет(?:а|у|ом|е|ы|ов)?|"
        r"обращени(?:е|я|ю|ем|и|й)|заявк(?:а|и|е|у|ой|ою)",
        2,
    ),
    (Kind.ORDER, r"orders?|purchase|заказ(?:а|у|ом|е|ы|ов)?", 4),
    (
        Kind.INVOICE,
        r"invoices?|bill|receipt|сч[её]т(?:а|у|ом|е)?(?:-фактур(?:а|ы|е|у|ой))?(?:[ \t]+на[ \t]+оплату)?|"
        r"квитанци(?:я|и|ю|ей)",
        3,
    ),
    (
        Kind.CUSTOMER,
        r"accounts?|customer|client|contract|subscriber|membership|лицев\w*[ \t]+сч[её]т\w*|л/с|"
        r"договор(?:а|у|ом|е)?|абонент(?:а|у|ом|е)?|клиент(?:а|у|ом|е)?",
        4,
    ),
)
KEYWORD_IDS = tuple(
    (kind, re.compile(rf"(?<![\w\[])(?i:{words}){_NUMBER_WORD}{_IS}{_ID}"), digits) for kind, words, digits in KEYWORDS
)
BARE_TICKET = re.compile(r"(?<![\w&#/\\])#\d{3,10}(?![\w-]|[.,:/]\d)")
DATE = re.compile(r"\d{4}-\d{1,2}-\d{1,2}|\d{1,2}([-/])\d{1,2}\1\d{2,4}")
YEAR = re.compile(r"(?:19|20)\d\d")
UNIT = re.compile(
    r"[ \t]?(?:[%‰₽€$£¥]|(?i:руб\w*|р\.|шт\.?|раза?|мин\w*|час\w*|сек\w*|дн\w*|дней|недел\w*|месяц\w*|лет|год\w*|"
    r"rub|usd|eur|gbp|pcs|items?|units?|times?|min(?:ute)?s?|hours?|h|secs?|seconds?|days?|weeks?|months?|years?|"
    r"gb|mb|kb|гб|мб|кб|px|ms|мс)(?!\w))"
)

# Digit groups that may be a phone number; which of them are is decided in _phones.
PHONE = re.compile(
    r"(?:(?<![\w+])\+[ \t]?|(?<![\w+./,#№@$€£\\-])(?<!\d:))"
    r"(?:\(\d{1,5}\)|\d++)(?:(?:[ \t]?-[ \t]?|[ \t]|(?<=\))|(?=\())(?:\(\d{1,5}\)|\d++)){0,6}"
)
PHONE_CHUNK = re.compile(r"\(\d+\)|\d+")
PHONE_CONTEXT = re.compile(
    r"(?<![\w\[])(?i:phone|tel|mobile|cell|whatsapp|viber|телефон\w*|тел|моб\w*|сотов\w*)(?!\w)[^\n\d]{0,12}$"
)
# Free-phone lines belong to companies, and an article may well need the support line.
TOLL_FREE = ("800", "888", "877", "866", "855", "844", "833", "0800", "0808")

_EN_STREET = (
    r"(?:Street|St|Avenue|Ave|Road|Rd|Lane|Ln|Boulevard|Blvd|Drive|Dr|Court|Ct|Place|Pl|Square|Sq|Terrace|"
    r"Crescent|Close|Way|Highway|Hwy|Parkway|Pkwy|Mews|Row)(?!\w)(?:\.(?![ \t]*(?:$|\n|[A-Z])))?"
)
_US_STATES = (
    "AL|AK|AZ|AR|CA|CO|CT|DE|DC|FL|GA|HI|ID|IL|IN|IA|KS|KY|LA|ME|MD|MA|MI|MN|MS|MO|MT|NE|NV|NH|NJ|NM|NY|NC|ND|OH|"
    "OK|OR|PA|RI|SC|SD|TN|TX|UT|VT|VA|WA|WV|WI|WY"
)
_CITY_POSTCODE = (
    rf"[A-Z][a-z]+(?:[ \t][A-Z][a-z]+)?,?[ \t]+(?:[A-Z]{{1,2}}\d[A-Z\d]?[ \t]?\d[A-Z]{{2}}|(?:{_US_STATES})[ \t]+"
    r"\d{5}(?:-\d{4})?)(?!\w)"
)
_RU_PREFIX = r"(?:\d{6},?[ \t]*)?(?:(?:г\.|город)[ \t]*[А-ЯЁ][\w-]+(?:[ \t]+[А-ЯЁ][\w-]+)?,[ \t]*)?"
_RU_HOUSE = (
    r"(?:(?:д\.|дом)[ \t]*)?\d{1,4}(?:[кс]\d{1,2}|[а-яА-Я])?(?:/\d{1,4})?(?!\w|[.,]\d)"  # 5, 5а, 5к2, 12/3"
    r"(?:,?[ \t]*(?:корп\.|корпус|к\.|стр\.|строение|кв\.|квартира|оф\.|офис|под\.|подъезд|эт\.|этаж)[ \t]*"
    r"\d{1,4}[а-яА-Я]?(?!\w))*"
)
_RU_KINDS = r"проспект|пр-к?т|просп\.|пр\.|переулок|пер\.|бульвар|б-р|шоссе|ш\.|проезд|тупик|набережная|наб\.|аллея"
ADDRESSES = (
    # "12 Baker Street", "221B Baker St, Flat 2, London NW1 6XE"; a street needs its number to be an address.
    re.compile(
        rf"(?<![\w.,-])\d{{1,5}}[A-Za-z]?[ \t]+(?:[A-Z][a-z]+[ \t]+){{1,3}}{_EN_STREET}"
        rf"(?:,?[ \t]+(?:Apt|Apartment|Suite|Ste|Unit|Flat|Floor)\.?[ \t]*#?\w{{1,5}})?(?:,[ \t]*{_CITY_POSTCODE})?"
    ),
    re.compile(rf"(?<!\w){_CITY_POSTCODE}"),  # "London NW1 6XE", "Springfield, IL 62704"
    # "ул. Ленина, д. 5, кв. 12", "пр-т Мира 15", "123456, г. Москва, ул. 8 Марта, 3"
    re.compile(
        rf"(?<!\w){_RU_PREFIX}(?i:ул\.|улица|{_RU_KINDS}|пл\.|площадь|мкр\.?|микрорайон)[ \t]*"
        rf"[А-ЯЁ0-9][\w-]*(?:[ \t]+[А-ЯЁ][\w-]*){{0,2}},?[ \t]*{_RU_HOUSE}"
    ),
    # "Ленинский проспект, 12", "Невский пр., д. 28"
    re.compile(
        rf"(?<!\w){_RU_PREFIX}[А-ЯЁ][а-яё-]+(?:ий|ый|ой|ая|ое)[ \t]+(?:{_RU_KINDS}|улица|ул\.),?[ \t]*{_RU_HOUSE}"
    ),
    # "123456, г. Москва", "г. Москва, 123456"
    re.compile(
        r"(?<![\w.,-])\d{6},?[ \t]*(?:г\.|город)[ \t]*[А-ЯЁ][\w-]+|(?:г\.|город)[ \t]*[А-ЯЁ][\w-]+,[ \t]*\d{6}(?!\d)"
    ),
)


def scrub(text: str, *, names: Iterable[str] = (), locale: str = "en") -> Scrubbed:
    """`text` with personal data replaced by placeholders in the article's language, and what was replaced where.

    `names` are the ticket's people (customer and agents): their names and parts of them are replaced in any case
    and, in Russian, in any grammatical case."""
    placeholders = PLACEHOLDERS.get(re.split(r"[-_]", locale)[0].lower(), PLACEHOLDERS["en"])
    code = [match.span() for pattern in (FENCED_CODE, CODE_SPAN) for match in pattern.finditer(text)]
    links = list(_links(text))
    chosen: list[tuple[int, int, Kind]] = []  # kept sorted; never overlapping
    candidates = {(start, end, kind) for kind, start, end in _candidates(text, names, links)}
    # Longest first, then the most specific kind, then the earliest: the same text always gives the same spans.
    for start, end, kind in sorted(candidates, key=lambda found: (found[0] - found[1], RANK[found[2]], found[0])):
        if (kind not in IN_CODE and _overlaps(start, end, code)) or (
            kind not in IN_LINKS and _overlaps(start, end, links)
        ):
            continue
        place = bisect.bisect(chosen, (start,))
        if (place == 0 or chosen[place - 1][1] <= start) and (place == len(chosen) or end <= chosen[place][0]):
            chosen.insert(place, (start, end, kind))
    out: list[str] = []
    spans: list[Span] = []
    at = 0
    for start, end, kind in chosen:
        out += (text[at:start], placeholders[kind])
        spans.append(Span(kind, text[start:end], start, end, placeholders[kind]))
        at = end
    out.append(text[at:])
    return Scrubbed("".join(out), tuple(spans))


def _candidates(text: str, names: Iterable[str], links: list[tuple[int, int]]) -> Iterator[tuple[Kind, int, int]]:
    yield from ((Kind.EMAIL, *match.span()) for match in EMAIL.finditer(text))
    for match in CARD.finditer(text):
        digits = re.sub(r"\D", "", match.group())
        if _luhn(digits) or CARD_GROUPED.fullmatch(match.group()):
            yield Kind.CARD, *match.span()
    for match in MASKED_CARD.finditer(text):
        if sum(char.isdigit() for char in match.group()) >= 4 and re.search(r"[*xX•]", match.group()):
            yield Kind.CARD, *match.span()
    for match in IBAN.finditer(text):
        if _iban_valid(match.group().replace(" ", "")):
            yield Kind.BANK_ACCOUNT, *match.span()
    yield from ((Kind.BANK_ACCOUNT, *match.span()) for match in RU_ACCOUNT.finditer(text))
    for kind, pattern, digits in KEYWORD_IDS:
        for match in pattern.finditer(text):
            if _is_id(text, match, digits):
                yield kind, *match.span("id")
    yield from ((Kind.TICKET, *match.span()) for match in BARE_TICKET.finditer(text))
    yield from _phones(text)
    yield from ((Kind.ADDRESS, *match.span()) for pattern in ADDRESSES for match in pattern.finditer(text))
    for start, end in links:
        for match in QUERY_VALUE.finditer(text, start, end):
            if SECRET_KEY.fullmatch(match["key"]):
                email = "@" in match["value"] or "%40" in match["value"].lower() or "mail" in match["key"].lower()
                yield (Kind.EMAIL if email else Kind.CREDENTIAL), *match.span("value")
    yield from ((Kind.NAME, start, end) for start, end in name_spans(text, names))


def _is_id(text: str, match: re.Match[str], digits: int) -> bool:
    body = match["body"]
    if DATE.fullmatch(body):
        return False
    if match["mark"] or match["word"] or not body.isdigit():
        return True
    # Without a "#", "№" or "number" the number may be a count, a year or an amount: "order 3 items", "заказ 2024 года".
    return len(body) >= digits and not YEAR.fullmatch(body) and not UNIT.match(text, match.end())


def _phones(text: str) -> Iterator[tuple[Kind, int, int]]:
    for match in PHONE.finditer(text):
        chunks = list(PHONE_CHUNK.finditer(text, match.start(), match.end()))
        plus = text[match.start()] == "+"
        # A group on either side may not belong to the number ("в 2024 8 912 345 67 89", "… 67 89 3 раза"); more
        # than that and the groups are some other long number.
        runs = sorted(
            (
                (first, last)
                for first in range(min(2, len(chunks)))
                for last in range(max(first, len(chunks) - 2), len(chunks))
            ),
            key=lambda run: (run[0] - run[1], run[0]),
        )
        for first, last in runs:
            start = match.start() if plus and first == 0 else chunks[first].start()
            end = chunks[last].end()
            if _is_phone(text, start, end, chunks[first : last + 1], plus and first == 0):
                if not _toll_free(text[start:end]):  # nor is any part of it a phone then
                    yield Kind.PHONE, start, end
                break


def _is_phone(text: str, start: int, end: int, chunks: list[re.Match[str]], plus: bool) -> bool:
    groups = [chunk.group().strip("()") for chunk in chunks]
    digits = "".join(groups)
    if not 6 <= len(digits) <= 15:
        return False
    if re.match(r"\w|[.,:/-]\d", text[end : end + 2]) or UNIT.match(text, end):
        return False
    if re.search(r"[$€£¥₽][ \t]?$|\d[ \t]?-[ \t]?$", text[max(0, start - 3) : start]):
        return False  # an amount, or the tail of a longer dashed number
    sizes = [len(group) for group in groups]
    if PHONE_CONTEXT.search(text, max(0, start - 40), start):
        return True
    if plus:
        return len(digits) == 11 if digits[0] in "17" else 8 <= len(digits) <= 15
    if chunks[0].group().startswith("(") or (len(chunks) > 1 and chunks[1].group().startswith("(")):
        return 10 <= len(digits) <= 12
    if sizes == [3, 2, 2] and text[start:end].count("-") == 2:  # a Moscow-style local number: 345-67-89
        return True
    if len(digits) not in (10, 11) or (len(sizes) > 1 and sizes[0] <= 3 and set(sizes[1:]) == {3}):
        return False  # thousands grouped: 10 000 000 000
    return (
        (len(digits) == 11 and digits[0] in "78")
        or digits[0] == "0"
        or sizes == [3, 3, 4]
        or (sizes == [1, 3, 3, 4] and digits[0] == "1")
    )


def _toll_free(number: str) -> bool:
    digits = re.sub(r"\D", "", number)
    return (digits[1:] if len(digits) == 11 and digits[0] in "178" else digits).startswith(TOLL_FREE)


def _links(text: str) -> Iterator[tuple[int, int]]:
    for match in URL.finditer(text):
        url = match.group()
        # Sentence punctuation after a link is not part of it; a closing bracket is only when it has its opening one.
        while url and (url[-1] in ".,;:!?" or (url[-1] == ")" and url.count("(") < url.count(")"))):
            url = url[:-1]
        yield match.start(), match.start() + len(url)
    for match in LINK_TARGET.finditer(text):
        group = 1 if match.start(1) >= 0 else 2
        yield match.span(group)


def _overlaps(start: int, end: int, regions: list[tuple[int, int]]) -> bool:
    return any(start < region_end and region_start < end for region_start, region_end in regions)


def _luhn(digits: str) -> bool:
    total = 0
    for position, digit in enumerate(int(char) for char in reversed(digits)):
        total += digit if position % 2 == 0 else (digit * 2 - 9 if digit > 4 else digit * 2)
    return total % 10 == 0


def _iban_valid(iban: str) -> bool:
    if not 15 <= len(iban) <= 34:
        return False
    rearranged = iban[4:] + iban[:4]
    return int("".join(str(int(char, 36)) for char in rearranged)) % 97 == 1
