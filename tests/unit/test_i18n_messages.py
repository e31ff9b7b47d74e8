"""Every console message exists in both languages with the same placeholders,
a refusal said in words (``Localised``) reads the same parameters in each,
and a list in a message reads as each language lists, not as Python's repr."""

from __future__ import annotations

import string

import pytest

from trusted_space.core.errors import LOCALISED, NotStewardOf, localised_error
from trusted_space.core.i18n import LANGUAGES, MESSAGES, Text, listed


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@pytest.mark.parametrize("key", sorted(MESSAGES))
def test_a_message_has_both_languages_with_the_same_placeholders(key: str) -> None:
    entry = MESSAGES[key]
    assert set(entry) == set(LANGUAGES)
    assert _fields(entry["zh-CN"]) == _fields(entry["en"])


def test_a_refusal_is_rebuilt_only_from_what_it_says() -> None:
    error = NotStewardOf("steward.not_governing", steward="s", policy="p", owners="o")
    again = localised_error(error.code, error.key, error.params)
    assert isinstance(again, NotStewardOf) and again.text("en") == error.text("en")
    assert error.text("zh-CN") != error.text("en")
    # Unknown codes, keys, missing or non-scalar parameters: not rebuilt.
    assert localised_error("nope", error.key, error.params) is None
    assert localised_error(error.code, "no.such.key", error.params) is None
    assert localised_error(error.code, error.key, {"steward": "s"}) is None
    assert localised_error(error.code, error.key, {**error.params, "x": ["list"]}) is None
    assert localised_error(error.code, error.key, "not a mapping") is None
    assert set(LOCALISED) == {
        "not_steward_of",
        "appointment_refused",
        "peer_refused",
        "peer_replayed",
        "peering_refused",
        "peer_unavailable",
    }
    with pytest.raises(ValueError):
        NotStewardOf("no.such.key")


def test_a_list_in_a_message_reads_as_the_language_lists() -> None:
    denied = Text("policy.purpose_out", purpose="'marketing'", purposes=["underwriting", "claims"])
    assert denied.text("en") == "purpose 'marketing' is not among underwriting, claims"
    assert denied.text("zh-CN") == "使用目的 'marketing' 不在允许的目的 underwriting、claims 之中"
    assert "[" not in denied.text("en") + denied.text("zh-CN")


def test_listed_joins_sorts_sets_and_names_an_empty_list() -> None:
    assert listed(("a", "b", "c"), "zh-CN") == "a、b、c"
    assert listed(["a", "b"], "en") == "a, b"
    assert listed({"b", "a"}, "en") == "a, b"  # a set in a stable order
    assert listed(frozenset({2, 10}), "zh-CN") == "10、2"  # by the words said
    assert (listed([], "zh-CN"), listed((), "en")) == ("（无）", "(none)")
    period = Text("period.month")
    assert listed([period], "en") == period.text("en") != listed([period], "zh-CN")
    assert listed("ab", "en") == "ab" and listed(3, "zh-CN") == 3  # not a list: as it is
