"""Linear scoring models, as stewards approve them.

A model file is JSON::

    {"name": "...", "version": "...", "intercept": -3.0,
     "weights": {"visits_12m": 0.08, ...},
     "bands": [["A", 0.05], ["B", 0.1], ..., ["E", 1.0]]}

score = intercept + sum(weight * feature); probability = 1 / (1 + exp(-score));
band = the first band whose bound is >= probability. A missing weight is 0.

Under encryption the space computes ``sum(W_f * F_f) + I`` with integers:
feature f is encoded with ``d_f`` decimals (F_f = f * 10**d_f), weights with
``WEIGHT_DECIMALS`` more places than the product's largest ``d``, so every term
shares one scale, ``10**result_decimals``. Weights with at most
``WEIGHT_DECIMALS`` places are exact; others are rounded half-even, an error
below 0.5e-15 per unit of feature.
"""

from __future__ import annotations

import difflib
import functools
import hashlib
import json
import math
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from products.base import Product
from trusted_space.core.encoding import FixedPoint, to_decimal
from trusted_space.core.errors import InputError, Location
from trusted_space.core.i18n import Text, json_problem, t

WEIGHT_DECIMALS = 15
# A score's integer form is below 2^SCORE_BITS in magnitude (|score| below
# 10^59 at the 10^17 scale of the default products): the consumer decrypts it
# modulo one prime. A larger one is reported as overflow, never misread.
SCORE_BITS = 256


@dataclass(frozen=True)
class ScoreModel:
    name: str
    version: str
    intercept: Decimal
    weights: dict[str, Decimal]
    bands: tuple[tuple[str, float], ...]
    document: bytes  # the file, byte for byte; its hash is what policies pin

    @classmethod
    def load(cls, path: Path) -> ScoreModel:
        try:
            data = Path(path).read_bytes()
        except OSError as exc:
            raise InputError(
                Text("model.unreadable", reason=exc), Location(str(path), None, None)
            ) from exc
        return cls.parse(data, str(path))

    @classmethod
    def parse(cls, document: bytes, origin: str = "model") -> ScoreModel:
        """The model a document describes, parsed once per document (each of
        a score job's steps reads the model the job carries)."""
        return _parsed(document, origin)

    @classmethod
    def _parse(cls, document: bytes, origin: str) -> ScoreModel:
        def bad(field: str, why: str | Text) -> InputError:
            return InputError(why, Location(origin, None, field))

        try:
            raw: Any = json.loads(document.decode("utf-8"), parse_float=Decimal)
        except (UnicodeDecodeError, ValueError) as exc:
            raise InputError(json_problem(exc), Location(origin, None, None)) from exc
        if not isinstance(raw, dict):
            raise bad("(root)", Text("model.not_object"))
        unknown = set(raw) - {"name", "version", "intercept", "weights", "bands", "description"}
        if unknown:
            raise bad(sorted(unknown)[0], Text("model.unknown_keys", keys=sorted(unknown)))
        for key in ("name", "version"):
            if not isinstance(raw.get(key), str) or not raw[key]:
                raise bad(key, Text("model.nonempty_string"))
        intercept = _number(raw.get("intercept"), bad, "intercept")
        weights_raw = raw.get("weights")
        if not isinstance(weights_raw, dict):
            raise bad("weights", Text("model.weights"))
        weights = {str(k): _number(v, bad, f"weights.{k}") for k, v in weights_raw.items()}
        bands_raw = raw.get("bands")
        if not isinstance(bands_raw, list) or not bands_raw:
            raise bad("bands", Text("model.bands"))
        bands: list[tuple[str, float]] = []
        for i, item in enumerate(bands_raw):
            if (
                not isinstance(item, list)
                or len(item) != 2
                or not isinstance(item[0], str)
                or isinstance(item[1], bool)
                or not isinstance(item[1], (int, Decimal))
            ):
                raise bad(f"bands[{i}]", Text("model.band"))
            bound = float(item[1])
            if not 0 <= bound <= 1 or (bands and bound <= bands[-1][1]):
                raise bad(f"bands[{i}]", Text("model.band_rise"))
            bands.append((item[0], bound))
        if bands[-1][1] < 1:
            raise bad("bands", Text("model.band_last"))
        return cls(raw["name"], raw["version"], intercept, weights, tuple(bands), document)

    def sha256(self) -> str:
        """SHA-256 of the file's bytes: what a policy pins as the approved model."""
        return hashlib.sha256(self.document).hexdigest()

    def check_features(self, product: Product, origin: str = "model") -> None:
        """Every weight names a feature of ``product``; a misspelt one is
        named with the file, its field and the nearest feature's name."""
        names = [f.name for f in product.features]
        unknown = sorted(set(self.weights) - set(names))
        if unknown:
            name = unknown[0]
            close = difflib.get_close_matches(name, names, n=1, cutoff=0.6)
            message = t(
                "model.unknown_feature",
                product=product.name,
                unknown=unknown,
                hint=t("hint.did_you_mean", name=close[0]) if close else "",
                features=", ".join(names),
            )
            raise InputError(message, Location(origin, None, f"weights.{name}"))

    # -- integer form used under encryption -----------------------------------
    def result_decimals(self, product: Product) -> int:
        return WEIGHT_DECIMALS + product.max_decimals

    def integer_weights(self, product: Product) -> dict[str, int]:
        """W_f such that sum(W_f * F_f) = score_part * 10**result_decimals."""
        top = product.max_decimals
        return {
            f.name: FixedPoint(WEIGHT_DECIMALS + top - f.decimals).encode(
                self.weights.get(f.name, Decimal(0)), round_excess=True
            )
            for f in product.features
        }

    def integer_intercept(self, product: Product) -> int:
        return FixedPoint(self.result_decimals(product)).encode(self.intercept, round_excess=True)

    # -- plaintext side -------------------------------------------------------
    def band(self, probability: float) -> str:
        for label, bound in self.bands:
            if bound >= probability:
                return label
        return self.bands[-1][0]


def probability(score: float) -> float:
    """The logistic function, stable for large |score|."""
    if score >= 0:
        return 1.0 / (1.0 + math.exp(-score))
    z = math.exp(score)
    return z / (1.0 + z)


def _number(value: Any, bad: Any, field: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (int, Decimal)):
        raise bad(field, Text("model.number"))
    return to_decimal(value)


@functools.lru_cache(maxsize=32)
def _parsed(document: bytes, origin: str) -> ScoreModel:
    return ScoreModel._parse(document, origin)
