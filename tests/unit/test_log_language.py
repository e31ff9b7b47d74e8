"""The log lines a person reads on the terminal of ``tspace node`` and
``tspace service serve`` are in the process's language (issue 24 item 9), uvicorn's own lines too;
tests/unit/test_error_sites.py fails on a log line worded in English."""

from __future__ import annotations

import logging
import string
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.unit.test_cli_language import CJK
from tests.unit.test_language_leaks import leaks
from trusted_space.core.i18n import language, logged, set_language, speaking
from trusted_space.core.log_text import LOGS
from trusted_space.service.server_words import LINES, RUNNING, ServerWords
from trusted_space.transport.http import HttpTransport, SpaceUnavailable


@pytest.fixture
def chinese() -> Iterator[None]:
    before = language()
    set_language("zh-CN")
    yield
    set_language(before)


@pytest.mark.parametrize("key", sorted(LOGS))
def test_each_log_line_is_said_in_both_languages(key: str, chinese: None) -> None:
    names = {n for _, n, _, _ in string.Formatter().parse(LOGS[key]["en"]) if n}
    values = {name: "x_1" for name in names}
    zh = logged(key, **values)
    assert CJK.search(zh) and leaks("zh-CN", zh) == [], zh
    assert not CJK.search(LOGS[key]["en"])


def test_a_log_line_follows_the_process_not_the_request(chinese: None) -> None:
    with speaking("en"):  # a request's Accept-Language
        assert logged("log.node.pulling", name="bank") == "bank 正在拉取任务"
    set_language("en")
    with speaking("zh-CN"):
        assert logged("log.node.pulling", name="bank") == "bank is pulling work"


def test_a_node_logs_its_retries_in_the_readers_language(
    chinese: None, caplog: pytest.LogCaptureFixture
) -> None:
    """``tspace node`` against a space that is away: each retry logged in zh-CN."""

    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    transport = HttpTransport("http://127.0.0.1:9", "key", patience=1.0)
    transport._client = httpx.Client(transport=httpx.MockTransport(refuse))
    with caplog.at_level(logging.INFO, logger="tspace.http"), pytest.raises(SpaceUnavailable):
        transport.connect()
    lines = [r.getMessage() for r in caplog.records if r.name == "tspace.http"]
    assert lines and all(line.startswith("空间不可用（") for line in lines), lines
    assert all("秒后重试" in line for line in lines), lines


def _uvicorn_record(msg: str, *args: object) -> logging.LogRecord:
    record = logging.LogRecord("uvicorn.error", logging.INFO, "server.py", 1, msg, args, None)
    record.color_message = "coloured English"
    return record


@pytest.mark.parametrize(
    ("msg", "args"),
    [
        *[(msg, (4321,) * len(names)) for msg, (_, names) in LINES.items()],
        *[(msg, ("http", "127.0.0.1", 8000)) for msg in RUNNING],
    ],
)
def test_uvicorns_own_lines_are_said_in_the_process_language(
    msg: str, args: tuple[object, ...], chinese: None
) -> None:
    """``tspace serve``'s server lines (uvicorn's: started, running on,
    shutting down) in zh-CN; in English exactly as uvicorn says them."""
    record = _uvicorn_record(msg, *args)
    english = record.getMessage()
    assert ServerWords().filter(record)
    zh = record.getMessage()
    assert CJK.search(zh) and leaks("zh-CN", zh) == [], zh
    assert all(str(a) in zh for a in args) and "color_message" not in record.__dict__
    set_language("en")
    again = _uvicorn_record(msg, *args)
    assert ServerWords().filter(again) and again.getMessage() == english


def test_the_lines_said_are_uvicorns_own_and_others_pass_unchanged(chinese: None) -> None:
    """Each format string is in the installed uvicorn's source (an upgrade
    that rewords one fails here, not silently in English), and a line the
    filter does not know passes as it was."""
    import uvicorn

    root = Path(uvicorn.__file__).parent
    source = (root / "server.py").read_text() + (root / "lifespan" / "on.py").read_text()
    for msg in LINES:
        assert f'"{msg}"' in source, msg
    assert 'f"Uvicorn running on {addr_format} (Press CTRL+C to quit)"' in source
    assert '"%s://%s:%d"' in source and '"%s://[%s]:%d"' in source
    other = _uvicorn_record("Maximum request limit of %d exceeded. Terminating process.", 5)
    assert ServerWords().filter(other)
    assert other.getMessage() == "Maximum request limit of 5 exceeded. Terminating process."
