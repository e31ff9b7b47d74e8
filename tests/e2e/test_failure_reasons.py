"""A failing step's text never leaves the node that failed (issue 22, item 11).

A provider whose feature value cannot be encoded raises an error quoting the
value. Before, that text travelled to the space (``report_failure``), into
the ledger's ``job_failed`` entry and on to the consumer's job status. Now a
node reports a typed code and the space records only codes with safe
parameters, whatever a node sends.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from connectors.node.provider import ProviderNode
from tests.leakcheck import find_canaries, find_in_text, sqlite_text
from tests.stories import AS_OF, underwrite_synth
from trusted_space.core.errors import JobFailed, ProtocolError
from trusted_space.core.failures import FAILURE_CODES, failure_code, failure_reason, known_code
from trusted_space.synth import generate_health

CANARY = "73191.123456789123"  # more decimal places than any feature declares


def test_a_canary_in_a_failing_feature_stays_on_the_provider(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "data"
    generate_health(300, 2, data, applicants=10, end_date=AS_OF)
    original = ProviderNode._row

    def planted(*args: Any) -> dict[str, Decimal | None]:
        row = original(*args)
        return {name: Decimal(CANARY) for name in row}

    monkeypatch.setattr(ProviderNode, "_row", staticmethod(planted))
    work = tmp_path / "work"
    with pytest.raises(JobFailed) as failed:
        underwrite_synth(data, work)
    told = str(failed.value)  # what the consumer was told
    assert "protocol_error" in told and "node=" in told, told
    assert CANARY not in told
    space = work / "space"
    assert not find_canaries(space, [CANARY]), "a canary in the space's files"
    assert not find_in_text(sqlite_text(space / "space.sqlite"), [CANARY])


def test_the_space_records_only_codes_whatever_a_node_sends() -> None:
    assert known_code("protocol_error") == "protocol_error"
    assert known_code(f"value {CANARY} would not encode") == "unspecified"
    assert failure_code(ProtocolError(f"cannot encode {CANARY}")) == "protocol_error"
    assert failure_code(ValueError(CANARY)) == "internal_error"
    reason = failure_reason(
        "input_error", node="hospital", value=CANARY, rows=3, id="x11010519491231002x"
    )
    assert reason == "input_error (node=hospital, rows=3)"
    assert {"policy_denied", "input_error", "internal_error", "unspecified"} <= FAILURE_CODES
    with pytest.raises(ValueError):
        failure_reason(f"leak {CANARY}")
