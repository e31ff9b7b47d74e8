"""Company names cleaned for comparison, never for matching.

Procurement publishers spell one company many ways: the same Mexican tax id is
"BENTLEY SYSTEMS DE MEXICO SA de CV" as a tenderer and "…SA de" (cut short by
a fixed-width column) as a supplier; Chinese centres mix full- and half-width
characters and write or drop 有限公司. ``normalise_name`` removes exactly those
differences so that a load can *report* (a) one identifier under several
spellings and (b) one spelling under several identifiers. It is never used to
join or merge parties: two identifiers stay two companies even when their
normalised names are equal, because a wrong merge would credit one company
with another's awards.

Steps, in order:

1. NFKC (full-width letters, digits and brackets become their ASCII forms),
   then case folding and removal of Latin diacritics ("MÉXICO" and "MEXICO"
   are both written by the same publisher).
2. Dots and apostrophes are deleted ("S.A." -> "sa", "Cow's" -> "cows"); every
   other punctuation or symbol becomes a space, except ``&`` and ``@`` which
   are part of names ("COMUNIC@RTE & CONSULTING"). Spaced-out initials
   ("S A DE C V") are left alone: joining single letters would also glue a
   one-letter name to its legal form ("X S. DE R.L." -> "xs de rl").
3. Legal-form suffixes from ``LEGAL_FORMS`` (whole words) and ``CJK_LEGAL_FORMS``
   (trailing characters) are stripped, repeatedly ("Foo Co., Ltd." -> "foo"),
   but never down to nothing. "分公司" (a branch) is not a legal form: a branch
   is a different registrant from its parent, so "…有限公司北京分公司" keeps it.
"""

from __future__ import annotations

import unicodedata

# Whole-word suffixes as they read after steps 1-2 (dots gone, lower case).
# Longer forms come first so "sa de cv" is stripped before "sa" is considered.
LEGAL_FORMS: tuple[tuple[str, ...], ...] = tuple(
    tuple(form.split())
    for form in (
        # Mexico / Spanish-speaking countries, with the truncations fixed-width
        # exports produce ("SA DE C", "SA de" in the CDMX and Compranet data).
        "s de rl de cv",
        "s de rl de c",
        "s de rl de",
        "s de rl",
        "sapi de cv",
        "sab de cv",
        "sa de cv",
        "sa de c",
        "sa de",
        "sas",
        "srl",
        "sc",
        "sa",
        # Portugal
        "unipessoal lda",
        "unipessoal",
        "lda",
        "limitada",
        # English
        "limited",
        "ltd",
        "llc",
        "inc",
        "plc",
        "co",
    )
)

# Chinese legal forms (simplified and traditional), longest first.
CJK_LEGAL_FORMS: tuple[str, ...] = (
    "股份有限公司",
    "有限责任公司",
    "有限責任公司",
    "有限公司",
    "公司",
)
BRANCH = "分公司"

_DELETED = {".", "'", "’", "‘", "`", "´"}
_KEPT = {"&", "@"}


def normalise_name(name: str) -> str:
    """The comparison form of a company name (see the module docstring)."""
    text = unicodedata.normalize("NFKC", name).casefold()
    text = _fold_diacritics(text)
    chars = []
    for ch in text:
        if ch in _DELETED:
            continue
        category = unicodedata.category(ch)
        if ch in _KEPT or not (category[0] in "PSZ" or category == "Cc"):
            chars.append(ch)
        else:
            chars.append(" ")
    return _strip_legal_forms(" ".join("".join(chars).split()))


def _fold_diacritics(text: str) -> str:
    """Drop combining marks from letters; characters without a decomposition
    (all of CJK) pass through unchanged."""
    decomposed = unicodedata.normalize("NFD", text)
    kept = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return unicodedata.normalize("NFC", kept)


def _strip_legal_forms(text: str) -> str:
    changed = True
    while changed:
        changed = False
        cjk = next((s for s in CJK_LEGAL_FORMS if text.endswith(s)), None)
        if cjk is not None:
            # The longest matching form only: "有限公司" alone must not lose "公司"
            # after "有限公司" was refused for leaving nothing.
            rest = text[: -len(cjk)].rstrip()
            if rest and not text.endswith(BRANCH):
                text, changed = rest, True
            continue
        tokens = text.split(" ")
        form = next((f for f in LEGAL_FORMS if tuple(tokens[-len(f) :]) == f), None)
        if form is not None and len(tokens) > len(form):
            text, changed = " ".join(tokens[: -len(form)]), True
    return text
