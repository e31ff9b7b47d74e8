"""The trusted space's errors (``err.space.*``) are said in the reader's
language: each entry has no English sentence in zh-CN and no Chinese in
English, and an error the space raises reads in the language current when
it is shown, in a problem document too (issue 24 item 9)."""

from __future__ import annotations

import string
from types import SimpleNamespace

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.unit.test_cli_language import CJK
from tests.unit.test_language_leaks import leaks
from trusted_space.core.error_text.space import SPACE
from trusted_space.core.errors import ProtocolError
from trusted_space.core.i18n import LANGUAGES, speaking, text_in
from trusted_space.service import problems
from trusted_space.space.engines.base import known_product
from trusted_space.space.engines.lookup import LookupProtocol


def _filled(text: str) -> dict[str, str]:
    """A value for each placeholder: a name, as the space would pass."""
    return {name: "x1" for _, name, _, _ in string.Formatter().parse(text) if name}


@pytest.mark.parametrize("key", sorted(SPACE))
@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_space_error_text_is_in_one_language(key: str, lang: str) -> None:
    said = text_in(lang, key, **_filled(SPACE[key][lang]))
    assert leaks(lang, said) == [], said
    if lang == "zh-CN":
        assert CJK.search(said), said


def test_an_engine_error_reads_in_the_language_it_is_shown_in() -> None:
    with pytest.raises(ProtocolError) as caught:
        LookupProtocol(
            SimpleNamespace(  # type: ignore[arg-type]
                store=SimpleNamespace(get_data=lambda *_: None), ledger=None, suite=None
            )
        ).stored_plan("j1")
    with speaking("zh-CN"):
        assert str(caught.value) == "作业 j1 没有计划"
    with speaking("en"):
        assert str(caught.value) == "job j1 has no plan"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_space_error_in_a_problem_document_is_in_the_language_asked(lang: str) -> None:
    api = FastAPI()
    problems.install(api)

    @api.get("/job")
    def _job() -> None:
        known_product("nothing")  # as the space refuses a job's unknown product

    client = TestClient(api, raise_server_exceptions=False)
    body = client.get("/job", headers={"Accept-Language": lang}).json()
    assert body["status"] == 422
    assert "'nothing'" in body["detail"]
    for field in ("title", "detail"):
        assert leaks(lang, body[field]) == [], body
    assert bool(CJK.search(body["detail"])) == (lang == "zh-CN")
