"""Every --help screen speaks one language: zh-CN by default, English with
--lang en. Walks every command of the tree and renders its help in both."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from typer.testing import CliRunner

from trusted_space.cli import app, command
from trusted_space.core.help_text import HELP
from trusted_space.core.i18n import language, set_language

CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")
# What may stay English under zh-CN: option names, metavars and types,
# identifiers, file names, codes, the usage line, and a few proper names.
ALLOWED = [
    r"Usage: .*",
    r"--[a-z][a-z0-9-]*",
    r"<[^>]*>",
    r"\{[^}]*\}",
    r"`[^`]*`",
    r"\[[a-z]+\]",
    r"\b[\w./-]+\.(csv|json|yaml|jsonl|tar\.gz|key)\b",
    r"\b[a-z0-9]+(_[a-z0-9]+)+\b",
    r"\b[a-z]+(-[a-z]+)+\b",  # command names
    r"\b(ODRL 2\.2 JSON-LD|JSON Schema|JSON Lines|JSON|YAML|CSV|HTTP|URL|API|PSI|DEBUG|"
    r"Ray|Merkle|SHA-256|Ed25519|X25519|SM2|SM3|SM4|OCDS|uvicorn|tspace|ADDRESS|KIND:PATH|"
    r"ROLE=NAME|YYYY-MM(-DD)?|UTC|ε|md|json|csv|parquet|duckdb|synthea|fhir|hl7v2|ocds|gm|"
    r"default|local|pseudonymous|provider|consumer|steward|operator|owners|consumers|"
    r"min|max|people|OUT|COMMAND|ARGS|OPTIONS|zh-CN|en|hospital-a|nodes/NAME|"
    r"[A-Z_]{3,}|[a-z]+/)\b",
]


@pytest.fixture(autouse=True)
def _restore_language() -> Iterator[None]:
    before = language()
    yield
    set_language(before)


def _paths(cmd: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    yield path
    for name, sub in getattr(cmd, "commands", {}).items():
        yield from _paths(sub, (*path, name))


PATHS = list(_paths(command()))


def _help(lang: str, path: tuple[str, ...]) -> str:
    result = CliRunner().invoke(app, ["--lang", lang, *path, "--help"], terminal_width=200)
    assert result.exit_code == 0, result.output
    return result.output


def _english_left(text: str) -> list[str]:
    for pattern in ALLOWED:
        text = re.sub(pattern, " ", text)
    return re.findall(r"[A-Za-z]{2,}(?:[ ,'-]+[A-Za-z]{2,})+", text)


@pytest.mark.parametrize("path", PATHS, ids=[" ".join(p) or "tspace" for p in PATHS])
def test_help_under_english_has_no_chinese(path: tuple[str, ...]) -> None:
    shown = _help("en", path)
    assert not CJK.findall(shown), f"tspace {' '.join(path)} --help (en) shows Chinese"


@pytest.mark.parametrize("path", PATHS, ids=[" ".join(p) or "tspace" for p in PATHS])
def test_help_under_chinese_has_no_english_sentences(path: tuple[str, ...]) -> None:
    shown = _help("zh-CN", path)
    assert CJK.search(shown)
    assert _english_left(shown) == [], f"tspace {' '.join(path)} --help (zh-CN)"


def test_every_help_string_has_a_translation() -> None:
    """The gap finder: a new option or command without its zh-CN text."""
    missing = []

    def walk(cmd: Any) -> None:
        texts = [getattr(cmd, "_tspace_help", None) or cmd.help]
        texts += [
            getattr(p, "_tspace_help", None) or p.help for p in cmd.params if p.name != "help"
        ]
        missing.extend(t for t in texts if t and " ".join(t.split()) not in HELP)
        for sub in getattr(cmd, "commands", {}).values():
            walk(sub)

    walk(command())
    assert missing == []


def test_english_entries_carry_no_chinese() -> None:
    for source, entry in HELP.items():
        assert CJK.search(entry["zh-CN"]), source
        assert not CJK.search(entry.get("en", source)), source
