"""Why a job failed, said to the consumer in their language (issue 24 item 9).

The space records a failure as a code with safe parameters (core/failures.py);
the consumer's ``JobFailed`` says it in the reader's language, and in English
exactly as recorded (scripts and logs match the code)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from tests.unit.test_cli_language import CJK
from tests.unit.test_language_leaks import leaks
from trusted_space.core.errors import JobFailed
from trusted_space.core.failures import FAILURE_CODES, failure_reason, job_failed
from trusted_space.core.i18n import MESSAGES, speaking
from trusted_space.nodes.remote import await_result

RECORDED = [
    failure_reason("task_abandoned", node="centre_a", step="psi_respond", leases=2),
    failure_reason("protocol_error", node="insurer", unacceptable="blind_masks"),
    failure_reason("differencing_refused", step="joining", earlier_jobs=1),
    failure_reason("internal_error"),
    "no progress for 600 s; job expired",
]


def test_every_failure_code_has_words_in_both_languages() -> None:
    missing = [c for c in FAILURE_CODES if f"err.base.failure.{c}" not in MESSAGES]
    assert not missing, missing


@pytest.mark.parametrize("reason", RECORDED)
def test_a_recorded_reason_is_said_in_the_readers_language(reason: str) -> None:
    said = job_failed([reason])
    with speaking("en"):
        assert str(said) == reason
    with speaking("zh-CN"):
        shown = str(said)
    assert CJK.search(shown) and leaks("zh-CN", shown) == [], shown


def test_several_reasons_and_none() -> None:
    said = job_failed(RECORDED[:2], "j1")
    with speaking("en"):
        assert str(said) == "; ".join(RECORDED[:2])
    with speaking("zh-CN"):
        assert str(said).count("；") == 1 and leaks("zh-CN", str(said)) == []
        assert str(job_failed([], "j1")) == "作业 j1 失败"
    with speaking("en"):
        assert str(job_failed([], "j1")) == "job j1 failed"
        assert str(job_failed([])) == "the job failed"


def test_an_unknown_code_is_left_as_recorded() -> None:
    with speaking("zh-CN"):
        assert str(job_failed(["made_up (node=x)"])) == "made_up (node=x)"


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_a_client_job_that_failed_says_why_in_the_readers_language(lang: str) -> None:
    """``tspace client ...``: the job failed at the space (nodes/remote.py)."""
    status = SimpleNamespace(state="failed", reasons=[RECORDED[0]], reasons_zh=[], step="failed")
    node = SimpleNamespace(refusal=None, run_pending=lambda wait: 0)
    transport = SimpleNamespace(job_status=lambda job_id: status)
    with pytest.raises(JobFailed) as failed:
        await_result(node, transport, "j1", timeout=5)  # type: ignore[arg-type]
    with speaking(lang):
        shown = str(failed.value)
    if lang == "en":
        assert shown == RECORDED[0]
    else:
        assert shown.startswith("一个任务的租约两次到期") and "节点=centre_a" in shown, shown
