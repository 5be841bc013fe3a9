"""The card-number detector, for the rules' `action.card_numbers` fact.

It lives in deskapp.core.cards so the store can mask what it writes with the
same detector the rules use; this module keeps the policy layer's name for it.
"""

from deskapp.core.cards import (  # noqa: F401 (re-exported)
    MASK_DOT,
    CardMatch,
    card_brand,
    count_cards,
    find_card_numbers,
    find_cards,
    keep_six_four,
    luhn_valid,
    mask,
    redact_cards,
    redact_value,
)
