"""Every code block of the README and docs/ runs or is checked (tests/docs_blocks.py).

A block meant not to run says why on the line before its fence; any other
``bash`` block is executed as a reader would run it (the venv's ``bin`` on
PATH, in a fresh folder beside the repository's files), ``yaml``/``json``
blocks are validated as the document they show, ``python`` blocks compile.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.docs_blocks import ROOT, Block, every_block
from trusted_space.hazmat.paillier import TEST_ONLY_KEYS_ENV

BLOCKS = every_block()
RUNNABLE = {"bash", "yaml", "json", "python"}


def _ids(blocks: list[Block]) -> list[str]:
    return [b.id for b in blocks]


def test_every_block_runs_or_says_why_not() -> None:
    unmarked = [b.id for b in BLOCKS if b.not_run is None and b.lang not in RUNNABLE]
    assert not unmarked, f"blocks neither runnable nor marked '<!-- not run: ... -->': {unmarked}"
    assert any(b.lang == "bash" and b.not_run is None for b in BLOCKS)


def _checked(lang: str) -> list[Block]:
    return [b for b in BLOCKS if b.lang == lang and b.not_run is None]


@pytest.mark.parametrize("block", _checked("yaml"), ids=_ids(_checked("yaml")))
def test_yaml_blocks_are_valid_documents(block: Block) -> None:
    doc = yaml.safe_load(block.text)
    assert isinstance(doc, dict), block.id
    if "product" in doc and "owners" in doc:  # a policy: schema and product
        from policies.model import parse_policy
        from policies.semantics import semantic_errors

        assert semantic_errors(parse_policy(block.text, block.id)) == []
    elif "measures" in doc:  # a cohort query
        from products.cohort.query import parse_query

        parse_query(doc, block.id)
    elif "table" in doc and "columns" in doc:  # a connector mapping
        from connectors.canonical import TABLES

        spec = TABLES[doc["table"]]
        assert set(doc["columns"]) <= set(spec.column_names), block.id
    else:
        pytest.fail(f"{block.id}: a yaml block of no known kind")


@pytest.mark.parametrize("block", _checked("json"), ids=_ids(_checked("json")))
def test_json_blocks_parse(block: Block) -> None:
    assert isinstance(json.loads(block.text), dict)


@pytest.mark.parametrize("block", _checked("python"), ids=_ids(_checked("python")))
def test_python_blocks_compile(block: Block) -> None:
    text = block.text.strip()
    if block.file == "docs/python-api.md":  # generated signatures: compile as stubs
        text = f"def {text}: ..."
    compile(text, block.id, "exec")


@pytest.mark.parametrize("block", _checked("bash"), ids=_ids(_checked("bash")))
def test_bash_blocks_run(block: Block, tmp_path: Path) -> None:
    # A fresh folder holding the repository's files, as after a clone; what the
    # block writes stays in it.
    for entry in ROOT.iterdir():
        if not entry.name.startswith("."):
            (tmp_path / entry.name).symlink_to(entry)
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        # The named 1024-bit test keys: the commands and what they print are
        # the same; the 2048-bit default is run by tests/e2e/test_cli.py.
        TEST_ONLY_KEYS_ENV: "1",
    }
    result = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", block.text],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, f"{block.id}\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}"
