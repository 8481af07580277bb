"""Personal data taken out of ticket text before it becomes a public article, in English and Russian."""

import itertools

import pytest

from portal.insights.scrubber import Kind, scrub

NAMES = ("Anna Petrova", "Иван Смирнов", "Ольга Ковальская", "Пётр Соколов", "Дмитрий Толстой", "Will Turner")

SCRUBBED = [
    # names the ticket knows, whole or in part, in any letter case and Russian grammatical case
    ("en", "Anna Petrova reported it; anna agreed. PETROVA too.", "[name] reported it; [name] agreed. [name] too."),
    ("en", "Anna's router, Petrova's laptop.", "[name]'s router, [name]'s laptop."),
    ("ru", "Передал Ивану Смирнову, Смирнов ответил.", "Передал [имя], [имя] ответил."),
    ("ru", "Ольге Ковальской звонили, у Ковальской всё работает.", "[имя] звонили, у [имя] всё работает."),
    ("ru", "Для Петра Соколова и для Петра.", "Для [имя] и для [имя]."),
    ("ru", "Дмитрию Толстому, с Дмитрием, у Толстого.", "[имя], с [имя], у [имя]."),
    ("ru", "Иван Сергеевич подтвердил.", "[имя] подтвердил."),
    ("en", "Will Turner asked: will it be fixed?", "[name] asked: will it be fixed?"),
    # names read off greetings and sign-offs, and their later mentions
    ("en", "Hi John,\n\nJohn's modem is fine.", "Hi [name],\n\n[name]'s modem is fine."),
    ("en", "Dear Mr. Smith,\nthe hub is back.", "Dear Mr. [name],\nthe hub is back."),
    ("en", "It works now.\n\nRegards, Tom", "It works now.\n\nRegards, [name]"),
    ("en", "It works now.\n\nBest regards,\nSarah Connor", "It works now.\n\nBest regards,\n[name]"),
    ("en", "> Hello Kate,\n> the hub is back.", "> Hello [name],\n> the hub is back."),
    ("ru", "Здравствуйте, Мария!\n\nМарии ответили.", "Здравствуйте, [имя]!\n\n[имя] ответили."),
    ("ru", "Добрый день, Мария Ивановна.", "Добрый день, [имя]."),
    ("ru", "Всё работает.\n\nС уважением, Ольга", "Всё работает.\n\nС уважением, [имя]"),
    ("ru", "Всё работает.\n\nС уважением,\nЕкатерина", "Всё работает.\n\nС уважением,\n[имя]"),
    # e-mail addresses, also in mailto: links and in link queries
    ("en", "Write to anna.petrova+hub@mail.example.co.uk.", "Write to [email]."),
    ("ru", "Мой адрес: ivan_smirnov@пример.рф", "Мой адрес: [email]"),
    ("en", "[write to me](mailto:ivan@example.ru)", "[write to me](mailto:[email])"),
    (
        "en",
        "https://help.example.com/unsubscribe?email=anna%40example.com",
        "https://help.example.com/unsubscribe?email=[email]",
    ),
    # phone numbers
    ("ru", "Мой телефон +7 (912) 345-67-89.", "Мой телефон [телефон]."),
    ("ru", "Звоните 8 912 345 67 89 или 89123456789.", "Звоните [телефон] или [телефон]."),
    ("ru", "Перезвоните на 8(912)345-67-89, после 18:00.", "Перезвоните на [телефон], после 18:00."),
    ("en", "Call +1-202-555-0143 or (202) 555-0143.", "Call [phone] or [phone]."),
    ("en", "Our office: (020) 7946 0958, mobile 07700 900123.", "Our office: [phone], mobile [phone]."),
    ("en", "Reach me on +44 20 7946 0958 or +49 30 1234567.", "Reach me on [phone] or [phone]."),
    ("ru", "Домашний тел.: 345-67-89", "Домашний тел.: [телефон]"),
    ("en", "Phone: 555 0143", "Phone: [phone]"),
    # ticket numbers: the keyword stays, the number goes
    ("en", "Following up on #4521.", "Following up on [ticket number]."),
    ("en", "See ticket 1234 and ticket #1235.", "See ticket [ticket number] and ticket [ticket number]."),
    ("en", "Support request #88123, case no. 17", "Support request [ticket number], case no. [ticket number]"),
    ("ru", "Ваш тикет №1234 закрыт.", "Ваш тикет [номер обращения] закрыт."),
    (
        "ru",
        "Обращение № 1234 передано, по обращению №1240 ответили.",
        "Обращение [номер обращения] передано, по обращению [номер обращения] ответили.",
    ),
    ("ru", "Заявка 55 выполнена.", "Заявка [номер обращения] выполнена."),
    # order and invoice numbers
    ("en", "My order 3707955617 never arrived.", "My order [order number] never arrived."),
    ("en", "Order #ORD-2024-0042 and order number: 77", "Order [order number] and order number: [order number]"),
    (
        "ru",
        "Заказ № A-12345 доставлен, по заказу 98765432 — нет.",
        "Заказ [номер заказа] доставлен, по заказу [номер заказа] — нет.",
    ),
    ("en", "Invoice INV-2024-004187 is missing the VAT ID.", "Invoice [invoice number] is missing the VAT ID."),
    ("ru", "Счёт на оплату № 4512 и счёт-фактура № 77.", "Счёт на оплату [номер счёта] и счёт-фактура [номер счёта]."),
    # customer accounts and contracts
    (
        "en",
        "My account number is 10023, order N 55321.",
        "My account number is [customer number], order N [order number].",
    ),
    ("en", "Customer ID: CU-77812", "Customer ID: [customer number]"),
    ("ru", "Лицевой счёт 1234567, договор № 12/2024.", "Лицевой счёт [номер клиента], договор [номер клиента]."),
    ("ru", "Номер заказа — 5512345.", "Номер заказа — [номер заказа]."),
    # cards and bank accounts
    ("en", "Charged to 4111 1111 1111 1111 twice.", "Charged to [card number] twice."),
    ("en", "Card 5500-0000-0000-0004 and 4111111111111111.", "Card [card number] and [card number]."),
    ("ru", "Карта 4111 **** **** 1111 и **** **** **** 4444.", "Карта [номер карты] и [номер карты]."),
    ("en", "IBAN DE89 3704 0044 0532 0130 00, thanks", "IBAN [bank account], thanks"),
    ("ru", "Верните на р/с 40817810099910004312.", "Верните на р/с [банковский счёт]."),
    # postal addresses
    ("en", "Ship it to 12 Baker Street please.", "Ship it to [address] please."),
    ("en", "Send to 221B Baker St, Apt 4, London NW1 6XE.", "Send to [address]."),
    ("en", "1600 Pennsylvania Avenue, Washington, DC 20500", "[address]"),
    ("ru", "Доставка: ул. Ленина, д. 5, кв. 12.", "Доставка: [адрес]."),
    ("ru", "Мы на пр-т Мира 15, офис 3.", "Мы на [адрес]."),
    ("ru", "Адрес: 190000, г. Санкт-Петербург, Невский пр., д. 28, кв. 4", "Адрес: [адрес]"),
    ("ru", "Офис: Ленинский проспект, 12к2", "Офис: [адрес]"),
    # secrets in links; the help-centre link itself stays
    (
        "en",
        "Open https://help.example.com/reset?token=eyJhbGciOi.x1&lang=en",
        "Open https://help.example.com/reset?token=[secret]&lang=en",
    ),
    # inside code only what cannot be anything else
    ("en", "```\nuser: anna@example.com\nbuild 8 912 345 67 89\n```", "```\nuser: [email]\nbuild 8 912 345 67 89\n```"),
]

LEFT_ALONE = [
    ("en", "# Reset your password\n\n1. Open **Settings** → *Security*.\n2. Click `Reset`.\n\n> It takes a minute."),
    ("en", "| Plan | Price |\n|---|---|\n| Pro | $49.99 |\n| Team | 1 299 ₽ |"),
    ("en", "Update to version 2.4.1 (build 20241123) or v3.0.0-rc.1 on macOS 14.5."),
    ("en", "The outage lasted from 10:30 to 11:45 on 23.11.2026 (2026-11-23T10:30:00Z)."),
    ("en", "Between 2019-2024 we served 10 000 000 000 requests from 192.168.0.1."),
    ("en", "We shipped 3 items in May 2024; the bill is attached. Order 2 pizzas."),
    ("en", "Orders over 5000 ₽ ship free; order 10 pcs or more, 15% off."),
    ("en", "The ticket was updated 3 times in 2 days."),
    ("en", "Error 0x80070005 on port 8080, HTTP 404, 16 GB RAM, 1080p."),
    ("en", "Run `pip install portal==2.4.1` and `curl -d '{\"order\": 12345}' localhost:8000`."),
    ("en", "```\n$ ping -c 4 10.0.0.1\nticket 1234 order 55555 +7 912 345 67 89\n```"),
    ("en", "See https://help.example.com/articles/1234-reset-password#step-2 for details."),
    ("en", "[Reset guide](/kb/reset-password?lang=ru#section-3)"),
    ("en", "Call our free line 8 800 555-35-35 or 1-800-555-0199."),
    ("en", "Thanks John for the quick help. Don't worry, Max."),
    ("en", "Hi team,\nthanks everyone!\n\nBest regards,\nSupport Team"),
    ("en", "I will check in May. Bill Gates Street? No."),
    ("en", "Use coupon SAVE2024; press Ctrl+Shift+5; item #1 of 3."),
    ("ru", "Стоимость 1 299 ₽, скидка 15%, доставка 3–5 дней, 2 шт."),
    ("ru", "Заказ оформлен 12.03.2025 в 14:05, оплачено 12 500 руб. за 2024 год."),
    ("ru", "Мы обновили приложение до версии 5.12 13 ноября 2025 года."),
    ("ru", "Здравствуйте!\nСпасибо, всё работает.\n\nС уважением,\nСлужба поддержки"),
    ("ru", "Спасибо Вам большое!\nУважаемый клиент, Вера и Надежда — тарифы, роман «Мир» — подарок."),
    ("ru", "Поддержка работает с 9:00 до 18:00, телефон для справок указан в договоре."),
    ("ru", "Заявку обновили 3 раза; в заказе 10 шт."),
]


@pytest.mark.parametrize(("locale", "text", "expected"), SCRUBBED)
def test_personal_data_is_replaced(locale, text, expected):
    assert scrub(text, names=NAMES, locale=locale).text == expected


@pytest.mark.parametrize(("locale", "text"), LEFT_ALONE)
def test_what_is_not_personal_data_is_left_alone(locale, text):
    result = scrub(text, names=NAMES, locale=locale)
    assert result.text == text
    assert result.spans == ()


@pytest.mark.parametrize(("locale", "text", "expected"), SCRUBBED)
def test_spans_point_at_the_original_text(locale, text, expected):
    spans = scrub(text, names=NAMES, locale=locale).spans
    assert spans
    assert [span.start for span in spans] == sorted(span.start for span in spans)
    for span, following in itertools.pairwise(spans):
        assert span.end <= following.start
    for span in spans:
        assert text[span.start : span.end] == span.original
        assert span.replacement in expected


@pytest.mark.parametrize(("locale", "text", "expected"), SCRUBBED)
def test_scrubbing_twice_changes_nothing(locale, text, expected):
    again = scrub(expected, names=NAMES, locale=locale)
    assert again.text == expected
    assert again.spans == ()


def test_a_ticket_reply_reports_each_kind():
    text = (
        "Hi Anna,\n\n"
        "Your order 3707955617 (ticket #4521) was charged to 4111 1111 1111 1111 and ships to 12 Baker Street. "
        "We will call +1-202-555-0143 or write to anna@example.com.\n\n"
        "Regards,\nIvan"
    )
    result = scrub(text, names=NAMES)
    assert [(span.kind, span.original) for span in result.spans] == [
        (Kind.NAME, "Anna"),
        (Kind.ORDER, "3707955617"),
        (Kind.TICKET, "#4521"),
        (Kind.CARD, "4111 1111 1111 1111"),
        (Kind.ADDRESS, "12 Baker Street"),
        (Kind.PHONE, "+1-202-555-0143"),
        (Kind.EMAIL, "anna@example.com"),
        (Kind.NAME, "Ivan"),
    ]


def test_placeholders_are_in_the_article_language():
    text = "Hi Anna, order 3707955617, phone +7 912 345 67 89, anna@example.com"
    assert scrub(text, names=NAMES, locale="ru").text == ("Hi [имя], order [номер заказа], phone [телефон], [email]")
    assert scrub(text, names=NAMES, locale="ru-RU").text == scrub(text, names=NAMES, locale="ru").text
    assert scrub(text, names=NAMES, locale="de").text == scrub(text, names=NAMES, locale="en").text


def test_the_longest_detection_wins_an_overlap():
    # The names are inside the e-mail address; the phone-like number is the order's.
    result = scrub("anna.petrova@example.com, order 89123456789", names=NAMES)
    assert [(span.kind, span.original) for span in result.spans] == [
        (Kind.EMAIL, "anna.petrova@example.com"),
        (Kind.ORDER, "89123456789"),
    ]


def test_a_card_number_must_pass_the_luhn_check_unless_written_as_a_card():
    assert scrub("reference 4111111111111112").spans == ()
    assert scrub("card 4111 1111 1111 1112").spans[0].kind is Kind.CARD


def test_an_iban_must_pass_its_checksum():
    assert scrub("IBAN DE89 3704 0044 0532 0130 01").spans == ()


def test_names_that_are_everyday_words_are_only_taken_capitalised():
    result = scrub("Ask May Chen or May about it; I may call.", names=["May Chen"])
    assert result.text == "Ask [name] or [name] about it; I may call."


def test_a_name_from_a_greeting_that_is_also_a_word_is_not_replaced_elsewhere():
    assert scrub("Hi May,\nsee you in May.").text == "Hi [name],\nsee you in May."


def test_no_names_and_no_personal_data_give_the_text_back():
    assert scrub("") == scrub("", names=())
    assert scrub("").text == ""
    assert scrub("Restart the hub.").spans == ()
