"""The masker in deskapp.core.cards: look-alikes stay untouched, JSON is masked at any depth, logs are masked."""

from __future__ import annotations

import logging

from hypothesis import given, settings, strategies as st

from deskapp.core.cardlog import MaskCards, log_to_file
from deskapp.core.cards import count_cards, find_cards, luhn_valid, redact_cards, redact_value

digits = st.text(alphabet="0123456789", min_size=1, max_size=1)


def n_digits(n: int):
    return st.text(alphabet="0123456789", min_size=n, max_size=n)


def with_check_digit(body: str) -> str:
    return next(body + d for d in "0123456789" if luhn_valid(body + d))


def iban(country: str, bank: str, rest: str) -> str:
    moved = rest and bank + rest + country + "00"
    check = 98 - int("".join(str(int(ch, 36)) for ch in moved)) % 97
    return f"{country}{check:02d}{bank}{rest}"


def grouped(text: str) -> str:
    return " ".join(text[i:i + 4] for i in range(0, len(text), 4))


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(["GB", "IE"]), st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=4, max_size=4),
       n_digits(14), st.booleans())
def test_ibans_are_never_cards(country, bank, rest, spaced):
    value = iban(country, bank, rest)
    text = f"IBAN {grouped(value) if spaced else value} for the refund"
    assert find_cards(text) == []
    assert redact_cards(text) == text


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(["DE", "FR", "NL", "ES"]), n_digits(18), st.booleans())
def test_all_digit_ibans_are_never_cards(country, rest, spaced):
    value = iban(country, rest[:4], rest[4:])
    text = f"pay to {grouped(value) if spaced else value}"
    assert redact_cards(text) == text


@settings(max_examples=300, deadline=None)
@given(n_digits(6), n_digits(8), st.sampled_from(["-", " ", ""]))
def test_sort_code_and_account_stay(sort, account, sep):
    code = sep.join(sort[i:i + 2] for i in (0, 2, 4))
    text = f"sort code {code} account {account}"
    assert redact_cards(text) == text


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(["07700 9", "0161 49", "020 7946 0", "0800 12"]), n_digits(5),
       st.sampled_from(["+44 ", "(+44) ", ""]))
def test_phone_numbers_stay(head, tail, intl):
    number = (intl + head[1:] if intl else head) + tail
    text = f"call me on {number} after 5"
    assert redact_cards(text) == text


@settings(max_examples=300, deadline=None)
@given(st.dates(), st.integers(0, 23), st.integers(0, 59), st.sampled_from(["%Y-%m-%d", "%d/%m/%Y", "%Y%m%d"]))
def test_dates_and_times_stay(day, hour, minute, fmt):
    text = f"on {day.strftime(fmt)} at {hour:02d}:{minute:02d}, case C-{day.toordinal()} and C-{hour + 1000}"
    assert redact_cards(text) == text


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(["4", "51", "34", "6011", "3528"]), st.randoms(use_true_random=False))
def test_order_numbers_failing_luhn_stay(prefix, rnd):
    length = 15 if prefix == "34" else 16
    number = with_check_digit(prefix + "".join(rnd.choice("0123456789") for _ in range(length - len(prefix) - 1)))
    wrong = number[:-1] + str((int(number[-1]) + 1) % 10)
    text = f"order {grouped(wrong)}"
    assert redact_cards(text) == text


# Diners 4-6-4, Amex 4-6-5, Maestro 12 and 19, Visa 19: the lengths and groupings v3 asked about.
SHAPES = [("36", 14, (4, 6, 4)), ("37", 15, (4, 6, 5)), ("6759", 19, (4, 4, 4, 4, 3)),
          ("5018", 12, (4, 4, 4)), ("4", 19, (4, 4, 4, 4, 3)), ("2221", 16, (4, 4, 4, 4))]


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(SHAPES), st.randoms(use_true_random=False),
       st.sampled_from([" ", "-", "_", "-\n", "\r\n", " / "]),
       st.sampled_from(["", "https://pay.example/x?pan=", "card#", "(", "\"", "card:"]),
       st.sampled_from(["", "exp 12/29", "&exp=1230", ")", "\"", "."]))
def test_card_shapes_in_any_setting_are_masked_to_six_and_four(shape, rnd, sep, before, after):
    prefix, length, groups = shape
    number = with_check_digit(prefix + "".join(rnd.choice("0123456789") for _ in range(length - len(prefix) - 1)))
    parts, i = [], 0
    for g in groups:
        parts.append(number[i:i + g])
        i += g
    text = f"{before}{sep.join(parts)}{after}"
    stored = redact_cards(text)
    assert number not in "".join(ch for ch in stored if ch.isdigit())
    assert stored.count("•") == length - 10
    assert redact_cards(stored) == stored
    assert count_cards(text) == 1


def test_redact_value_masks_json_at_any_depth_and_keeps_the_rest():
    value = {"to": "ray", "n": 3, "ok": True, "body": "card 4111 1111 1111 1111",
             "extra": {"notes": ["5555555555554444", None, 7], "4111111111111111": "key"}}
    assert redact_value(value) == {"to": "ray", "n": 3, "ok": True, "body": "card 4111 11•• •••• 1111",
                                   "extra": {"notes": ["555555••••••4444", None, 7], "411111••••••1111": "key"}}
    assert count_cards(value) == 3
    assert redact_value(redact_value(value)) == redact_value(value)


def test_log_file_masks_messages_arguments_and_tracebacks(tmp_path):
    path = tmp_path / "desk.log"
    handler = log_to_file(str(path))
    try:
        log = logging.getLogger("deskapp.test.cards")
        log.info("saving %s", "Your card 4111 1111 1111 1111 was charged twice")
        try:
            raise ValueError("bad value 5555-5555-5555-4444")
        except ValueError:
            log.exception("failed for 378282246310005")
    finally:
        logging.getLogger().removeHandler(handler)
        handler.close()
    text = path.read_text(encoding="utf-8")
    assert "4111 11•• •••• 1111" in text and "5555-55••-••••-4444" in text and "378282•••••0005" in text
    assert find_cards(text) == []
    assert "ValueError" in text  # the traceback is kept, masked


def test_filter_keeps_records_without_cards_as_they_were():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "opened %s at %d", ("C-1004", 3), None)
    assert MaskCards().filter(record) and record.getMessage() == "opened C-1004 at 3"


def test_approval_digest_is_over_the_masked_request():
    """Asking stores the masked request; carrying out from it, and resubmitting what was typed, both match."""
    from deskapp.core.case_views import ActionRequest
    from deskapp.core.request_digest import differing_fields, request_digest

    typed = ActionRequest(kind="message", case_id=1, version=3, channel="email", party_id=2,
                          summary="Card 4111 1111 1111 1111", body="It is 5555-5555-5555-4444.",
                          extra={"ref": "378282246310005"})
    stored = {"kind": "message", "case_id": 1, "version": 3, "channel": "email", "party_id": 2,
              "summary": "Card 4111 11•• •••• 1111", "body": "It is 5555-55••-••••-4444.",
              "extra": {"ref": "378282•••••0005"}}
    assert request_digest(typed) == request_digest(stored)
    other = ActionRequest(**{**typed.__dict__, "body": "It is 4012-8888-8888-1881."})
    assert request_digest(other) != request_digest(stored) and differing_fields(stored, other) == ["body"]
