"""Invalid score-model files: each is refused with a clear error naming the
field at fault, and nothing is half-loaded."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from products.score_model import ScoreModel
from products.underwriting import UNDERWRITING
from trusted_space.core.errors import InputError
from trusted_space.demo import default_model_path

GOOD: dict[str, Any] = json.loads(default_model_path().read_text(encoding="utf-8"))


def changed(**fields: Any) -> bytes:
    doc = {**GOOD, **fields}
    return json.dumps({k: v for k, v in doc.items() if v is not DROP}).encode()


DROP = object()

# (label, document, the field named, words of the reason)
CASES: list[tuple[str, bytes, str | None, str]] = [
    ("not JSON", b'{"name": "m",', None, "not a JSON document"),
    ("not UTF-8", b'{"name": "\xff"}', None, "not a UTF-8 JSON document"),
    ("a list", b"[1, 2]", "(root)", "must be a JSON object"),
    ("unknown key", changed(threshold=0.5), "threshold", "unknown keys"),
    ("no name", changed(name=DROP), "name", "non-empty string"),
    ("empty version", changed(version=""), "version", "non-empty string"),
    ("version a number", changed(version=1), "version", "non-empty string"),
    ("intercept a string", changed(intercept="-3"), "intercept", "must be a number"),
    ("intercept a boolean", changed(intercept=True), "intercept", "must be a number"),
    ("no intercept", changed(intercept=DROP), "intercept", "must be a number"),
    ("weights a list", changed(weights=[0.1]), "weights", "object of feature: weight"),
    (
        "a weight a string",
        changed(weights={**GOOD["weights"], "visits_12m": "0.08"}),
        "weights.visits_12m",
        "must be a number",
    ),
    (
        "a weight null",
        changed(weights={**GOOD["weights"], "cost_12m": None}),
        "weights.cost_12m",
        "must be a number",
    ),
    ("no bands", changed(bands=[]), "bands", "non-empty list"),
    ("a band not a pair", changed(bands=[["A", 0.5, 1], ["B", 1.0]]), "bands[0]", "[label, bound]"),
    ("a band label a number", changed(bands=[[1, 0.5], ["B", 1.0]]), "bands[0]", "[label, bound]"),
    ("a bound a boolean", changed(bands=[["A", True]]), "bands[0]", "[label, bound]"),
    ("a bound above 1", changed(bands=[["A", 0.5], ["B", 1.5]]), "bands[1]", "within [0, 1]"),
    ("a bound below 0", changed(bands=[["A", -0.1], ["B", 1.0]]), "bands[0]", "within [0, 1]"),
    ("bounds falling", changed(bands=[["A", 0.5], ["B", 0.2], ["C", 1]]), "bands[1]", "rise"),
    ("a bound repeated", changed(bands=[["A", 0.5], ["B", 0.5], ["C", 1]]), "bands[1]", "rise"),
    ("last bound under 1", changed(bands=[["A", 0.5], ["B", 0.9]]), "bands", "last bound"),
]


def test_the_default_model_parses() -> None:
    model = ScoreModel.parse(changed())
    assert model.weights["visits_12m"] == Decimal("0.08")
    assert model.bands[-1] == ("E", 1.0)


@pytest.mark.parametrize(("label", "document", "field", "why"), CASES, ids=[c[0] for c in CASES])
def test_an_invalid_model_names_its_field(
    label: str, document: bytes, field: str | None, why: str, tmp_path: Path
) -> None:
    path = tmp_path / "model.json"
    path.write_bytes(document)
    with pytest.raises(InputError) as caught:
        ScoreModel.load(path)
    assert caught.value.location is not None
    assert caught.value.location.file == str(path)
    assert caught.value.location.field == field
    assert why in str(caught.value) and str(path) in str(caught.value)
    if field is not None:
        assert f"field {field!r}" in str(caught.value)


def test_a_missing_model_file_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read model"):
        ScoreModel.load(tmp_path / "absent.json")


def test_weights_for_features_the_product_lacks_are_named() -> None:
    model = ScoreModel.parse(changed(weights={**GOOD["weights"], "shoe_size": 0.1}))
    with pytest.raises(InputError, match="shoe_size"):
        model.check_features(UNDERWRITING)
