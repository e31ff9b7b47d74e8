"""The identifier mapping shared by the healthcare connectors."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from connectors.base import LoadOptions, load_source
from connectors.id_map import (
    COLLISION,
    NOT_IN_MAP,
    PSEUDONYMOUS,
    CsvIdMap,
    Demographics,
    PseudonymousIdMap,
    load_id_map,
    pseudonymous_person_id,
    require_id_map,
)
from connectors.identifiers import resident_id_check_char, resident_id_error
from connectors.node_store import NodeStore
from trusted_space.core.errors import InputError


def resident_id(region: str, birth: str, sequence: int) -> str:
    body = f"{region}{birth}{sequence:03d}"
    return body + resident_id_check_char(body)


def write_map(path: Path, rows: list[tuple[str, str]]) -> Path:
    path.write_text(
        "source_id,person_id\n" + "".join(f"{s},{p}\n" for s, p in rows), encoding="utf-8"
    )
    return path


# -- no id map ---------------------------------------------------------------


@pytest.mark.parametrize("kind", ["synthea", "fhir", "hl7v2"])
def test_missing_id_map_is_an_input_error_that_says_what_to_pass(kind: str, tmp_path: Path) -> None:
    source = tmp_path / "source"
    source.mkdir()
    with pytest.raises(InputError) as caught:
        load_source(kind, [source], tmp_path / "node", LoadOptions())
    message = str(caught.value)
    assert "no resident identity number" in message
    assert "--id-map FILE" in message
    assert f"--id-map {PSEUDONYMOUS}" in message
    with NodeStore(tmp_path / "node", read_only=True) as store:
        for table in ("hospital_visits", "cdc_case_reports"):
            assert store.con.execute(f"SELECT count(*) FROM {table}").fetchone() == (0,)


def test_require_id_map_passes_a_given_value_through() -> None:
    assert require_id_map("map.csv", "X") == "map.csv"
    with pytest.raises(InputError):
        require_id_map("  ", "X")


# -- pseudonymous ids ----------------------------------------------------------


def test_pseudonymous_ids_are_valid_and_follow_the_documented_scheme() -> None:
    source = "838e3532-0deb-eb80-3c5e-f5b4c243efaa"
    male = pseudonymous_person_id(source, "19850901", male=True)
    female = pseudonymous_person_id(source, "19850901", male=False)
    unknown = pseudonymous_person_id(source, None, male=None)
    n = int.from_bytes(hashlib.sha256(source.encode()).digest()[:8], "big")
    assert male[:17] == f"99000019850901{2 * (n % 500) + 1:03d}"
    assert female[:17] == f"99000019850901{2 * (n % 499) + 2:03d}"
    assert unknown[:17] == f"99000019000101{n % 999 + 1:03d}"
    for value in (male, female, unknown):
        assert resident_id_error(value) is None
    assert int(male[16]) % 2 == 1
    assert int(female[16]) % 2 == 0


def test_pseudonymous_ids_are_deterministic_and_use_birth_date_and_sex() -> None:
    patients = {
        "a": Demographics("1927-05-21", "female"),
        "b": Demographics("19640502", "M"),
        "c": Demographics("2020-02-06T00:00:00", "f"),
    }
    first, second = PseudonymousIdMap(patients), PseudonymousIdMap(dict(reversed(patients.items())))
    ids = {s: first.person_id(s) for s in patients}
    assert ids == {s: second.person_id(s) for s in patients}
    assert ids["a"] is not None and ids["a"][6:14] == "19270521" and int(ids["a"][16]) % 2 == 0
    assert ids["b"] is not None and ids["b"][6:14] == "19640502" and int(ids["b"][16]) % 2 == 1
    assert ids["c"] is not None and ids["c"][6:14] == "20200206"
    assert len(set(ids.values())) == 3
    assert load_id_map(PSEUDONYMOUS, patients).person_id("a") == ids["a"]


@pytest.mark.parametrize("birth", [None, "", "1964", "2021-02-30", "2999-01-01", "1700-01-01"])
def test_pseudonymous_id_without_a_usable_birth_date_uses_19000101_and_warns(
    birth: str | None,
) -> None:
    id_map = PseudonymousIdMap({"p": Demographics(birth, "M")})
    person = id_map.person_id("p")
    assert person is not None and person[6:14] == "19000101"
    assert resident_id_error(person) is None
    assert any("no usable birth date" in w for w in id_map.warnings())


def test_unknown_sex_is_warned() -> None:
    id_map = PseudonymousIdMap({"p": Demographics("1990-01-01", "unknown")})
    assert id_map.person_id("p") is not None
    assert any("no male/female sex" in w for w in id_map.warnings())


def test_a_source_id_not_known_up_front_is_assigned_on_demand() -> None:
    id_map = PseudonymousIdMap({})
    person = id_map.person_id("late", "1990-07-10", "F")
    assert person == pseudonymous_person_id("late", "19900710", male=False)
    assert id_map.person_id("late") == person


def _colliding_pair() -> tuple[str, str]:
    seen: dict[str, str] = {}
    for i in range(5000):
        source = f"patient-{i}"
        person = pseudonymous_person_id(source, "19900101", male=True)
        if person in seen:
            return seen[person], source
        seen[person] = source
    raise AssertionError("no collision among 5000 ids with 500 sequence numbers")


def test_a_collision_rejects_the_later_source_id_whatever_the_record_order() -> None:
    first, second = sorted(_colliding_pair())
    same = Demographics("1990-01-01", "M")
    for order in ([first, second], [second, first]):
        id_map = PseudonymousIdMap({s: same for s in order})
        assert id_map.person_id(first) is not None
        assert id_map.person_id(second) is None
        assert id_map.reason(second) == COLLISION
        assert any("collided" in w for w in id_map.warnings())


def test_an_on_demand_collision_is_also_refused() -> None:
    first, second = _colliding_pair()
    id_map = PseudonymousIdMap({})
    assert id_map.person_id(first, "1990-01-01", "M") is not None
    assert id_map.person_id(second, "1990-01-01", "M") is None
    assert id_map.reason(second) == COLLISION
    assert id_map.reason("never seen") == NOT_IN_MAP


# -- CSV id maps ----------------------------------------------------------------


def test_csv_id_map_resolves_and_normalises(tmp_path: Path) -> None:
    good = resident_id("110101", "19900307", 123)
    with_x = next(
        resident_id("110101", "19900307", s)
        for s in range(1, 999)
        if resident_id("110101", "19900307", s).endswith("X")
    )
    path = write_map(tmp_path / "map.csv", [("a", good), (" b ", with_x.lower())])
    id_map = load_id_map(str(path))
    assert isinstance(id_map, CsvIdMap) and len(id_map) == 2
    assert id_map.person_id("a") == good
    assert id_map.person_id("b") == with_x
    assert id_map.person_id("f3a9-unmapped") is None
    assert id_map.reason("f3a9-unmapped") == NOT_IN_MAP
    assert "f3a9" not in id_map.reason("f3a9-unmapped")


def test_csv_id_map_with_an_invalid_person_id_names_file_row_and_field(tmp_path: Path) -> None:
    good = resident_id("110101", "19900307", 123)
    bad = good[:17] + ("0" if good[17] != "0" else "1")
    path = write_map(tmp_path / "map.csv", [("a", good), ("b", bad)])
    with pytest.raises(InputError) as caught:
        load_id_map(str(path))
    assert caught.value.location is not None
    assert caught.value.location.file == str(path)
    assert caught.value.location.row == 2
    assert caught.value.location.field == "person_id"
    assert str(path) in str(caught.value) and "row 2" in str(caught.value)
    assert "check character" in str(caught.value)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("source,person\nx,y\n", "source_id,person_id"),
        ("source_id,person_id\n,110101199003071234\n", "empty source_id"),
        ("source_id,person_id\na,11010119900307\n", "wrong length"),
    ],
)
def test_csv_id_map_problems_are_input_errors(tmp_path: Path, content: str, expected: str) -> None:
    path = tmp_path / "map.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InputError, match=expected):
        load_id_map(str(path))


def test_csv_id_map_with_one_source_id_for_two_people_is_refused(tmp_path: Path) -> None:
    one = resident_id("110101", "19900307", 123)
    two = resident_id("110101", "19900307", 125)
    path = write_map(tmp_path / "map.csv", [("a", one), ("a", one), ("a", two)])
    with pytest.raises(InputError) as caught:
        load_id_map(str(path))
    assert caught.value.location is not None and caught.value.location.row == 3


def test_missing_csv_id_map_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="id map not found"):
        load_id_map(str(tmp_path / "absent.csv"))
