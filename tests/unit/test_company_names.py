"""Company-name normalisation: the spellings the OCDS fixtures really use, and
the Chinese, Spanish, Portuguese and English legal forms."""

from __future__ import annotations

import pytest

from connectors.company_names import CJK_LEGAL_FORMS, LEGAL_FORMS, normalise_name

CASES = [
    # Fixture spellings: one RFC, a full and a cut-short legal form
    # (release-package-1-2.json tenderers against suppliers).
    ("BENTLEY SYSTEMS DE MEXICO SA de CV", "bentley systems de mexico"),
    ("BENTLEY SYSTEMS DE MEXICO SA de", "bentley systems de mexico"),
    ("COMUNIC@RTE & CONSULTING SA DE CV", "comunic@rte & consulting"),
    ("COMUNIC@RTE & CONSULTING SA DE C", "comunic@rte & consulting"),
    (
        "GLOBAL ASSURANCE BROKERS, AGENTE DE SEGUROS Y DE FIANZAS SA DE C",
        "global assurance brokers agente de seguros y de fianzas",
    ),
    ("Técnicos Verticales de México,", "tecnicos verticales de mexico"),
    ("Coelho & Quintas, Lda", "coelho & quintas"),
    ("Viagens Abreu, S.A.", "viagens abreu"),
    ("MASTER SOFT SRL", "master soft"),
    ("AnyCorp Ltd", "anycorp"),
    # Spanish and Mexican forms
    ("Acme S.A. de C.V.", "acme"),
    ("Acme, S. de R.L. de C.V.", "acme"),
    ("Acme SAPI de CV", "acme"),
    ("Despacho Pérez S.C.", "despacho perez"),
    # Portuguese
    ("Empresa Unipessoal, Lda.", "empresa"),
    ("Construções Silva Limitada", "construcoes silva"),
    # English, stacked forms
    ("Foo Co., Ltd.", "foo"),
    ("Foo Limited", "foo"),
    ("Foo LLC", "foo"),
    ("Foo Inc.", "foo"),
    ("Foo PLC", "foo"),
    # Chinese, full width and half width
    ("甲有限公司", "甲"),
    ("甲有限责任公司", "甲"),
    ("甲股份有限公司", "甲"),
    ("甲公司", "甲"),
    ("福建（厦门）甲有限公司", "福建 厦门 甲"),
    ("福建(厦门)甲有限公司", "福建 厦门 甲"),
    ("ＡＢＣ　Ｔｒａｄｉｎｇ　Ｃｏ．，Ｌｔｄ．", "abc trading"),
    # A branch is its own registrant: 分公司 is not a legal form.
    ("甲有限公司北京分公司", "甲有限公司北京分公司"),
    # Never stripped down to nothing
    ("S.A.", "sa"),
    ("SA de CV", "sa de cv"),
    ("有限公司", "有限公司"),
    # A one-letter name keeps its letter apart from the legal form
    ("X S. DE R.L. DE C.V.", "x"),
    # Whitespace and punctuation
    ("  Casa   Senna – Senna, Lda. ", "casa senna senna"),
    (
        "Câmara Municipal de Lisboa/Departamento de Desporto",
        "camara municipal de lisboa departamento de desporto",
    ),
]


@pytest.mark.parametrize(("raw", "expected"), CASES)
def test_normalise_name(raw: str, expected: str) -> None:
    assert normalise_name(raw) == expected


def test_the_two_fixture_spellings_of_one_rfc_agree() -> None:
    full, cut = "BENTLEY SYSTEMS DE MEXICO SA de CV", "BENTLEY SYSTEMS DE MEXICO SA de"
    assert full != cut
    assert normalise_name(full) == normalise_name(cut)


def test_different_companies_stay_different() -> None:
    assert normalise_name("Alfa SA de CV") != normalise_name("Beta SA de CV")
    assert normalise_name("甲有限公司") != normalise_name("乙有限公司")


@pytest.mark.parametrize("raw", [raw for raw, _ in CASES])
def test_normalising_twice_changes_nothing(raw: str) -> None:
    once = normalise_name(raw)
    assert normalise_name(once) == once


def test_every_legal_form_in_the_tables_is_stripped() -> None:
    for form in LEGAL_FORMS:
        assert normalise_name("Acme " + " ".join(form).upper()) == "acme", form
    for form in CJK_LEGAL_FORMS:
        assert normalise_name("甲" + form) == "甲", form
