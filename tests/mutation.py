"""Mutation testing, run by hand or nightly (not in CI): how many planted
bugs the tests aimed at a piece of code catch.

Python targets go through mutmut (a maintained mutation tool): the target
file is mutated one change at a time and the tests aimed at it are run
against each mutant. The products' feature SQL goes through a small operator
mutator written here, since mutmut reads only Python: each comparison is
flipped (``<`` and ``<=``, ``>`` and ``>=``), each number that bounds a
window moves by one, each ``AND`` becomes ``OR``, each ``count(DISTINCT``
loses its DISTINCT. A mutant is killed when its tests fail.

Each target runs in a scratch copy of the working tree, so the tree itself
is never edited. Usage:

    python tests/mutation.py                 # every target
    python tests/mutation.py --target ledger --target lending_sql
    python tests/mutation.py --json          # one JSON object per target

The scores of the last run are in docs/testing.md.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PY = Path(sys.executable)

# target -> (file mutmut mutates, the tests aimed at it)
PYTHON_TARGETS: dict[str, tuple[str, list[str]]] = {
    "ledger": (
        "trusted_space/ledger/ledger.py",
        ["tests/unit/test_ledger.py", "tests/unit/test_merkle.py"],
    ),
    "combine": ("trusted_space/space/engines/combine.py", ["tests/unit/test_combine.py"]),
    "constraints": (
        "policies/constraints.py",
        [
            "tests/unit/test_policies.py",
            "tests/unit/test_policy_request.py",
            "tests/unit/test_policy_lookup.py",
            "tests/unit/test_policy_parameters.py",
            "tests/unit/test_policy_budget.py",
            "tests/unit/test_policy_constraint_words.py",
        ],
    ),
}
# target -> (SQL files, the tests aimed at them)
SQL_TARGETS: dict[str, tuple[list[str], list[str]]] = {
    "underwriting_sql": (
        [
            "products/underwriting/hospital_features.sql",
            "products/underwriting/cdc_features.sql",
        ],
        ["tests/unit/test_window_edges.py", "tests/e2e/test_underwriting.py"],
    ),
    "lending_sql": (
        ["products/lending/features.sql"],
        ["tests/unit/test_window_edges.py", "tests/e2e/test_lending.py"],
    ),
}

SQL_MUTATIONS: list[tuple[str, str]] = [
    (r"<=", "<"),
    (r"(?<![<>!])<(?![=>])", "<="),
    (r">=", ">"),
    (r"(?<![<>-])>(?!=)", ">="),
    (r"(?<=- )(\d+)", "+1"),  # a window's length: as_of - 365 -> as_of - 366
    (r"\bAND\b", "OR"),
    (r"count\(DISTINCT ", "count("),
]


def scratch_copy() -> Path:
    """The working tree as it is (uncommitted changes included), without its
    virtualenv, caches and artefacts."""
    dest = Path(tempfile.mkdtemp(prefix="tspace-mutation-"))
    ignore = shutil.ignore_patterns(
        ".venv",
        ".git",
        "__pycache__",
        ".mypy_cache",
        ".ruff_cache",
        ".pytest_cache",
        "mutants",
        "test-artifacts",
        "tspace-work",
    )
    shutil.copytree(ROOT, dest / "tree", ignore=ignore)
    return dest / "tree"


def run_tests(tree: Path, tests: list[str], timeout: float) -> bool:
    """True when the tests pass (the mutant survived)."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    try:
        done = subprocess.run(
            [str(PY), "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *tests],
            cwd=tree,
            env=env,
            capture_output=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        return False
    return done.returncode == 0


def sql_mutants(text: str) -> list[tuple[str, str]]:
    """(description, mutated text), one change each."""
    out = []
    for pattern, replacement in SQL_MUTATIONS:
        for m in re.finditer(pattern, text):
            line = text.count("\n", 0, m.start()) + 1
            if text[text.rfind("\n", 0, m.start()) + 1 : m.start()].lstrip().startswith("--"):
                continue  # a comment
            new = str(int(m.group(1)) + 1) if replacement == "+1" else replacement
            desc = f"line {line}: {m.group(0)!r} -> {new!r}"
            out.append((desc, text[: m.start()] + new + text[m.end() :]))
    return out


def run_sql_target(name: str, files: list[str], tests: list[str]) -> dict[str, object]:
    tree = scratch_copy()
    baseline = time.monotonic()
    if not run_tests(tree, tests, timeout=1800):
        raise SystemExit(f"{name}: the tests fail without any mutation")
    timeout = 3 * (time.monotonic() - baseline) + 30
    killed, survived = 0, []
    try:
        for rel in files:
            path = tree / rel
            original = path.read_text(encoding="utf-8")
            for desc, mutated in sql_mutants(original):
                path.write_text(mutated, encoding="utf-8")
                if run_tests(tree, tests, timeout):
                    survived.append(f"{rel} {desc}")
                else:
                    killed += 1
            path.write_text(original, encoding="utf-8")
    finally:
        shutil.rmtree(tree.parent, ignore_errors=True)
    total = killed + len(survived)
    return {
        "target": name,
        "tool": "sql operators (tests/mutation.py)",
        "mutants": total,
        "killed": killed,
        "survived": len(survived),
        "score": round(killed / total, 3) if total else None,
        "survivors": survived,
    }


def python_survivors(mutmut: Path, tree: Path, env: dict[str, str]) -> list[str]:
    """Each surviving mutant as its function and the line mutmut changed."""
    listing = subprocess.run(
        [str(mutmut), "results"], cwd=tree, env=env, capture_output=True, text=True, check=True
    ).stdout
    out = []
    for line in listing.splitlines():
        mutant, _, status = line.strip().rpartition(": ")
        if status != "survived":
            continue
        diff = subprocess.run(
            [str(mutmut), "show", mutant], cwd=tree, env=env, capture_output=True, text=True
        ).stdout
        changed = [d[1:].strip() for d in diff.splitlines() if d.startswith("+ ")]
        where = mutant.split(".")[-1].split("__mutmut_")[0].replace("xǁ", "").replace("ǁ", ".")
        out.append(f"{where}: {changed[0] if changed else '?'}")
    return out


def run_python_target(name: str, source: str, tests: list[str]) -> dict[str, object]:
    tree = scratch_copy()
    try:
        config = (
            "\n[tool.mutmut]\n"
            f"source_paths = [{json.dumps(source)}]\n"
            # In one process: mutmut maps tests to the functions they call by
            # tracing, which xdist's workers (the suite's addopts) would hide.
            'pytest_add_cli_args = ["-n", "0"]\n'
            f"pytest_add_cli_args_test_selection = {json.dumps(tests)}\n"
            'also_copy = ["tests", "products", "connectors", "policies", "trusted_space",'
            ' "pyproject.toml"]\n'
        )
        with (tree / "pyproject.toml").open("a", encoding="utf-8") as fh:
            fh.write(config)
        mutmut = PY.parent / "mutmut"
        env = {**os.environ, "PYTHONPATH": str(tree)}
        with (tree / "mutmut.log").open("wb") as log:
            subprocess.run([str(mutmut), "run"], cwd=tree, env=env, stdout=log, stderr=log)
        subprocess.run(
            [str(mutmut), "export-cicd-stats"], cwd=tree, env=env, capture_output=True, check=True
        )
        stats = json.loads((tree / "mutants" / "mutmut-cicd-stats.json").read_text())
        if not stats["killed"] + stats["survived"] + stats["timeout"]:
            tail = (tree / "mutmut.log").read_text(encoding="utf-8", errors="replace")[-2000:]
            raise SystemExit(f"{name}: mutmut tested no mutant; its log ends:\n{tail}")
        survivors = python_survivors(mutmut, tree, env)
    finally:
        shutil.rmtree(tree.parent, ignore_errors=True)
    tested = stats["killed"] + stats["survived"] + stats["timeout"]
    return {
        "target": name,
        "tool": "mutmut",
        "mutants": stats["total"],
        "killed": stats["killed"] + stats["timeout"],
        "survived": stats["survived"],
        "no_tests": stats["no_tests"],
        "survivors": survivors,
        "score": round((stats["killed"] + stats["timeout"]) / tested, 3) if tested else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    names = [*PYTHON_TARGETS, *SQL_TARGETS]
    parser.add_argument("--target", action="append", choices=names)
    parser.add_argument("--json", action="store_true")
    parser.add_argument(
        "--unit-only",
        action="store_true",
        help="only the unit tests of each target (a quick run; the score says less)",
    )
    args = parser.parse_args()
    for name in args.target or names:
        started = time.monotonic()
        if name in PYTHON_TARGETS:
            source, tests = PYTHON_TARGETS[name]
        else:
            files, tests = SQL_TARGETS[name]
        if args.unit_only:
            tests = [t for t in tests if t.startswith("tests/unit/")]
        if name in PYTHON_TARGETS:
            result = run_python_target(name, source, tests)
        else:
            result = run_sql_target(name, files, tests)
        result["tests"] = tests
        result["seconds"] = round(time.monotonic() - started)
        if args.json:
            print(json.dumps(result, ensure_ascii=False))
        else:
            print(
                f"{name:18} {result['tool']:34} mutants {result['mutants']:4}  "
                f"killed {result['killed']:4}  survived {result['survived']:4}  "
                f"score {result['score']}  ({result['seconds']} s)"
            )
            for s in result.get("survivors", []):  # type: ignore[attr-defined]
                print(f"    survived: {s}")


if __name__ == "__main__":
    main()
