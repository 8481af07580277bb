"""Grouping tickets that ask the same question: English and Russian wording, noise, staff merges and splits."""

import random

from portal.insights.grouping import Item, group

QUESTIONS = {
    "password": {
        1: "How do I reset my password?",
        2: "I forgot my password, how can I reset it?",
        3: "Password reset link does not arrive",
        4: "Hello, please help me reset the password for my account. Thanks!",
    },
    "invoice": {
        10: "Where can I download the invoice for order #12345?",
        11: "How do I download an invoice for my order 98765?",
        12: "I cannot find where to download my invoice",
        13: "Need a copy of the invoice for {{Order Number}}, where do I download it?",
    },
    "subscription": {
        20: "How can I cancel my subscription?",
        21: "Please cancel my subscription, I no longer need it",
        22: "I want to cancel the subscription before it renews",
    },
    "delivery (ru)": {
        30: "Сколько времени занимает доставка заказа?",
        31: "Когда будет доставлен мой заказ №4521?",
        32: "Здравствуйте! Сроки доставки заказа какие?",
        33: "Доставка заказа задерживается, когда привезут?",
    },
    "email (ru)": {
        40: "Как изменить адрес электронной почты в профиле?",
        41: "Хочу изменить электронную почту в профиле",
        42: "Не получается изменить электронную почту в профиле, помогите",
    },
}
ONE_OFFS = {
    90: "The dark theme makes the charts unreadable",
    91: "Can your API export data to a spreadsheet in XML?",
    92: "Ваш логотип на сайте выглядит размытым",
    # Alike only in what is noise for a question: greeting, order number, address, template placeholder.
    93: "Hello, thanks! Re #554433 from jane@example.com ({{Customer Name}}): the parcel arrived damaged",
    94: "Hello, thanks! Re #554433 from jane@example.com ({{Customer Name}}): is there a student discount?",
}
RUSSIAN = {30, 31, 32, 33, 40, 41, 42, 92}
PASSWORD, INVOICE = set(QUESTIONS["password"]), set(QUESTIONS["invoice"])


def _items() -> list[Item]:
    texts = {key: text for question in QUESTIONS.values() for key, text in question.items()} | ONE_OFFS
    return [Item(key, text, "ru" if key in RUSSIAN else "en") for key, text in texts.items()]


def _sets(groups) -> set[frozenset[int]]:
    return {frozenset(g.keys) for g in groups}


def test_each_question_asked_in_different_words_is_one_group_in_english_and_russian():
    assert _sets(group(_items())) == {frozenset(keys) for keys in QUESTIONS.values()}


def test_one_off_tickets_and_tickets_alike_only_in_noise_stay_ungrouped():
    grouped = {key for g in group(_items()) for key in g.keys}
    assert grouped.isdisjoint(ONE_OFFS)


def test_groups_come_largest_first_led_by_their_representative():
    groups = group(_items())
    assert [len(g.keys) for g in groups] == sorted((len(g.keys) for g in groups), reverse=True)
    assert all(g.keys[0] == g.representative and len(set(g.keys)) == len(g.keys) for g in groups)


def test_the_same_tickets_in_any_order_give_the_same_groups():
    items = _items()
    expected = group(items)
    shuffled = items[:]
    random.Random(3).shuffle(shuffled)
    assert group(shuffled) == expected
    assert group(list(reversed(items))) == expected


def test_must_link_merges_two_groups_with_everything_in_them():
    groups = group(_items(), must_link=[(1, 11)])
    assert PASSWORD | INVOICE in _sets(groups)
    assert len(groups) == len(QUESTIONS) - 1


def test_must_link_brings_an_ungrouped_ticket_into_a_group():
    groups = group(_items(), must_link=[(90, 2)])
    assert PASSWORD | {90} in _sets(groups)


def test_cannot_link_takes_the_ticket_out_of_the_anchors_group():
    groups = group(_items(), cannot_link=[(3, 1)])
    assert PASSWORD - {3} in _sets(groups)
    assert all(3 not in g.keys for g in groups)


def test_cannot_link_holds_against_a_merge():
    groups = group(_items(), must_link=[(1, 11)], cannot_link=[(12, 2)])
    assert (PASSWORD | INVOICE) - {12} in _sets(groups)


def test_pairs_naming_unknown_keys_are_ignored():
    assert group(_items(), must_link=[(1, 999)], cannot_link=[(999, 1), (1, 998)]) == group(_items())


def test_progress_climbs_to_its_total():
    calls = []
    group(_items(), progress=lambda done, total: calls.append((done, total)))
    done = [d for d, _total in calls]
    assert calls and done == sorted(done)
    assert calls[-1][0] == calls[-1][1] > 0


def test_too_few_tickets_make_no_groups():
    assert group([]) == []
    assert group([Item(1, "How do I reset my password?")]) == []
