"""What a new user trips over, at unit level (issue 24): misspelt model
weights, invalid applicants named, missing columns, Excel-friendly CSV."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from products.score_model import ScoreModel
from products.underwriting import UNDERWRITING
from trusted_space.core import i18n
from trusted_space.core.errors import InputError
from trusted_space.demo import default_model_path


@pytest.fixture(autouse=True)
def english(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(i18n, "_language", "en")


def test_a_misspelt_weight_names_the_file_the_field_and_the_nearest_feature(
    tmp_path: Path,
) -> None:
    document = json.loads(default_model_path().read_text(encoding="utf-8"))
    weights = document["weights"]
    name = next(n for n in weights if n.startswith("visits_"))
    weights["vists" + name[len("visits") :]] = weights.pop(name)
    path = tmp_path / "model.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(InputError) as exc:
        ScoreModel.load(path).check_features(UNDERWRITING, str(path))
    message = str(exc.value)
    assert message.startswith(f"{path}, field 'weights.vists")
    assert f"did you mean {name}?" in message
