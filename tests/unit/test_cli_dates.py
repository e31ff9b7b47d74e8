"""Dates on the command line (issue 24, items 2 and 5): an impossible or
malformed date names its option; an --as-of after today is refused unless
--allow-future; one after every provider's newest record is warned about."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from typer.testing import CliRunner

from connectors.freshness import newest_date
from connectors.node_store import NodeStore
from trusted_space.cli import app
from trusted_space.cli.common import today, warn_stale
from trusted_space.core import i18n


@pytest.fixture(autouse=True)
def english(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(i18n, "_language", "en")


def _files(tmp_path: Path) -> dict[str, str]:
    f = tmp_path / "f.csv"
    f.write_text("a\n1\n", encoding="utf-8")
    return {"file": str(f), "out": str(tmp_path / "out.csv")}


def _underwrite(tmp_path: Path, as_of: str, *extra: str) -> list[str]:
    f = _files(tmp_path)
    return [
        "--lang", "en", "underwrite", "--hospital", f["file"], "--cdc-reports", f["file"],
        "--cdc-registry", f["file"], "--applicants", f["file"], "--model", f["file"],
        "--out", f["out"], "--as-of", as_of, *extra,
    ]  # fmt: skip


def _client_lend(tmp_path: Path, as_of: str) -> list[str]:
    f = _files(tmp_path)
    return [
        "--lang", "en", "client", "lend", "--space", "http://127.0.0.1:9", "--api-key-file",
        f["file"], "--applicants", f["file"], "--purpose", "credit", "--out", f["out"],
        "--as-of", as_of,
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("2026-02-30", "no such day in the calendar"),
        ("2026-13-01", "no such day in the calendar"),
        ("31/10/2026", "not a date in YYYY-MM-DD form"),
    ],
)
def test_a_bad_date_names_the_option_and_the_reason(
    tmp_path: Path, value: str, reason: str
) -> None:
    for args in (_underwrite(tmp_path, value), _client_lend(tmp_path, value)):
        result = CliRunner().invoke(app, args)
        assert result.exit_code == 2, result.output
        lines = result.output.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith(f"Error: --as-of {value}: {reason}")
    assert not (tmp_path / "out.csv").exists()


@pytest.mark.parametrize(
    ("value", "zh", "en"),
    [
        ("2026-02-30", "2026-02 只有 28 天", "2026-02 has 28 days"),
        ("2024-02-30", "2024-02 只有 29 天", "2024-02 has 29 days"),
        ("2026-13-01", "月份须在 1 到 12 之间", "the month is 1 to 12"),
        ("0000-01-01", "年份须在 1 到 9999 之间", "the year is 1 to 9999"),
    ],
)
def test_an_impossible_date_says_why_in_the_readers_language(
    tmp_path: Path, value: str, zh: str, en: str
) -> None:
    """Not Python's English ("day is out of range for month") under zh-CN (item 9)."""
    args = _underwrite(tmp_path, value)[2:]
    said = {}
    for lang in ("zh-CN", "en"):
        result = CliRunner().invoke(app, ["--lang", lang, *args])
        assert result.exit_code == 2, result.output
        said[lang] = result.output.strip()
    assert said["zh-CN"] == f"错误：--as-of {value}：日历上不存在的日期（{zh}）"
    assert said["en"] == f"Error: --as-of {value}: no such day in the calendar ({en})"


def test_an_as_of_after_today_is_refused_unless_asked(tmp_path: Path) -> None:
    future = (today() + dt.timedelta(days=1)).isoformat()
    for args in (_underwrite(tmp_path, future), _client_lend(tmp_path, future)):
        result = CliRunner().invoke(app, args)
        assert result.exit_code == 2
        assert f"--as-of {future}: after today" in result.output
        assert "--allow-future" in result.output
    # Asked: a warning, and the command goes on (here to the batch it cannot read).
    result = CliRunner().invoke(app, _underwrite(tmp_path, future, "--allow-future"))
    assert f"Warning: evaluation date {future} is after today" in result.output
    assert "after today (" not in result.output.split("Warning")[0]


def test_an_as_of_after_every_providers_newest_record_is_warned(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with NodeStore(tmp_path / "node") as store:
        assert newest_date(store.con) is None
        store.con.execute(
            "INSERT INTO hospital_visits (person_id, visit_id, hospital_id, visit_date, "
            "visit_type) VALUES ('11010519491231002X', 'v1', 'h', '2026-03-01', 'outpatient')"
        )
        newest = newest_date(store.con)
    assert newest == dt.date(2026, 3, 1)
    warn_stale(dt.date(2026, 3, 1), {"hospital": newest, "cdc": None})
    assert capsys.readouterr().err == ""
    warn_stale(dt.date(2030, 3, 1), {"hospital": newest, "cdc": dt.date(2026, 1, 1)})
    err = capsys.readouterr().err
    assert "after the newest record of every provider (cdc 2026-01-01, hospital 2026-03-01)" in err
    warn_stale(dt.date(2026, 2, 1), {"hospital": newest, "cdc": dt.date(2026, 1, 1)})
    assert capsys.readouterr().err == ""


def test_a_client_against_a_wrong_port_logs_retries_and_gives_up(tmp_path: Path) -> None:
    import socket
    import time

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    key = tmp_path / "key"
    key.write_text("k" * 40, encoding="utf-8")
    f = _files(tmp_path)
    started = time.monotonic()
    result = CliRunner().invoke(
        app,
        [
            "--lang",
            "en",
            "client",
            "underwrite",
            "--space",
            f"http://127.0.0.1:{port}",
            "--api-key-file",
            str(key),
            "--applicants",
            f["file"],
            "--as-of",
            "2026-10-31",
            "--out",
            f["out"],
            "--patience",
            "2",
        ],
    )
    assert time.monotonic() - started < 30
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert lines[0].startswith(f"space http://127.0.0.1:{port} unavailable (ConnectError); ")
    assert "retrying in" in lines[0] and "giving up in about" in lines[0]
    assert lines[-1] == f"Error: http://127.0.0.1:{port} unavailable (ConnectError) for 2 s"
