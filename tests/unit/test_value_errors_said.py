"""A caller's mistake the command line reports (a ValueError of the layer
below, worded in English) is said in the reader's language (issue 24 item 9):
an unknown ``--lang``, a participant's name, role or key, a fingerprint, a
peering agreement's steward, an unknown product."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.unit.test_cli_language import CJK
from tests.unit.test_language_leaks import leaks
from trusted_space.cli import app
from trusted_space.core.i18n import LANGUAGES, language, recognised, set_language, speaking
from trusted_space.product_card import build_card

KEY = "ab" * 32
CASES = {
    "role": (["admin", "add-participant", "x1", "--role", "king"], "角色须为", "role must be"),
    "name": (
        ["admin", "add-participant", "Bad Name", "--role", "provider"],
        "名称须为",
        "a name is",
    ),
    "key": (
        ["admin", "add-participant", "x2", "--role", "provider", "--signing-key", "zz"],
        "签名公钥须以十六进制给出",
        "a signing key is given in hex",
    ),
    "fingerprint": (["keys", "trust", "hospital", "zz"], "指纹须为", "a fingerprint is"),
}


def _run(lang: str, args: list[str]) -> str:
    before = language()
    try:
        result = CliRunner().invoke(app, ["--lang", lang, *args], terminal_width=200)
    finally:
        set_language(before)
    assert result.exit_code == 2, result.output
    return result.output


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("case", sorted(CASES))
def test_a_callers_mistake_is_said_in_the_readers_language(
    case: str, lang: str, tmp_path: Path
) -> None:
    args, zh, en = CASES[case]
    shown = _run(lang, [*args, "--workdir", str(tmp_path)])
    assert (zh if lang == "zh-CN" else en) in shown, shown
    # The usage lines above the box name the command; the box says the error.
    said = " ".join(line for line in shown.splitlines() if "│" in line)
    assert said and leaks(lang, said.replace(str(tmp_path), " ")) == [], shown


@pytest.mark.parametrize("lang", LANGUAGES)
def test_an_unknown_lang_is_said_in_the_process_language(lang: str) -> None:
    before = language()
    set_language(lang)
    try:
        result = CliRunner().invoke(app, ["--lang", "fr", "demo"], terminal_width=200)
    finally:
        set_language(before)
    assert result.exit_code == 2
    said = "语言须为 zh-CN, en 之一" if lang == "zh-CN" else "language must be one of zh-CN, en"
    assert said in result.output, result.output


@pytest.mark.parametrize("lang", LANGUAGES)
def test_an_agreements_value_out_of_form_is_named(lang: str, tmp_path: Path) -> None:
    """Pydantic's first line ("1 validation error for PeerSpace") named neither."""
    from trusted_space.embedded import EmbeddedDeployment

    with EmbeddedDeployment(tmp_path / "space"):
        pass
    args = [
        "admin", "draft-agreement", "--workdir", str(tmp_path / "space"), "--peer-key", KEY,
        "--steward", "Bad Name", "--peer-steward", "s2", "--product", "underwriting_score",
        "--out", str(tmp_path / "a.json"),
    ]  # fmt: skip
    shown = _run(lang, args)
    if lang == "zh-CN":
        assert "协议中的 stewards.0 格式不对：'Bad Name'" in shown, shown
    else:
        assert "the agreement's stewards.0 is out of form: 'Bad Name'" in shown, shown
    assert "validation error" not in shown


def test_an_unknown_product_is_said_in_the_readers_language(tmp_path: Path) -> None:
    with pytest.raises(ValueError) as caught:
        build_card(tmp_path, "nope")
    said = recognised(str(caught.value))
    with speaking("zh-CN"):
        assert str(said).startswith("未知的产品 'nope'；已知的产品："), str(said)
    with speaking("en"):
        assert str(said) == str(caught.value)
    assert not CJK.search(str(caught.value))
