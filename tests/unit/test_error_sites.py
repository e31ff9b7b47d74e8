"""No error tspace raises on purpose is worded in plain English: each says a
catalog ``Text`` (``trusted_space.core.error_text``), read in the reader's
language when shown (issue 24 item 9).

The check reads the source: a call to one of tspace's error classes (or to
click's and typer's usage errors), wherever it is, that is given a string
literal or an f-string with words in it. ``ValueError`` and ``TypeError``
stay English: they are programming mistakes of a caller, not refusals. Every
``Text("key")`` the code names must exist. Positive controls show the check
sees each form it forbids."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from trusted_space.core.error_text import ERRORS
from trusted_space.core.i18n import MESSAGES

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("trusted_space", "connectors", "policies", "products")
# Usage errors a command prints as they are.
LIBRARY_ERRORS = {"BadParameter", "UsageError", "ClickException"}
KEY = re.compile(r"[a-z0-9_]+(\.[a-z0-9_]+)+")


def _sources() -> dict[str, ast.Module]:
    trees = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            trees[str(path.relative_to(ROOT))] = ast.parse(path.read_text(encoding="utf-8"))
    return trees


def _name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def error_classes(trees: dict[str, ast.Module]) -> set[str]:
    """Every class that is, by the names of its bases, a ``TspaceError``."""
    bases: dict[str, set[str]] = {}
    for tree in trees.values():
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                named = {_name(base) for base in node.bases}
                bases.setdefault(node.name, set()).update(n for n in named if n)
    errors = {"TspaceError"}
    grown = True
    while grown:
        grown = False
        for name, parents in bases.items():
            if name not in errors and parents & errors:
                errors.add(name)
                grown = True
    return errors


def _worded(node: ast.expr) -> bool:
    """A string literal or f-string with a letter in its literal part; not a
    catalog key (a ``Localised`` error takes one: ``PeerRefused("peer.unsigned")``)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        if KEY.fullmatch(node.value) and node.value in MESSAGES:
            return False
        return any(ch.isalpha() for ch in node.value)
    # A fallback is words too: ``JobFailed("; ".join(reasons) or "the job failed")``.
    if isinstance(node, ast.BoolOp):
        return any(_worded(value) for value in node.values)
    if isinstance(node, ast.IfExp):
        return _worded(node.body) or _worded(node.orelse)
    if isinstance(node, ast.JoinedStr):
        return any(
            isinstance(part, ast.Constant) and any(ch.isalpha() for ch in str(part.value))
            for part in node.values
        )
    return False


def english_sites(tree: ast.Module, errors: set[str]) -> Iterator[tuple[int, str]]:
    """(line, class) of each call to an error class given words in English."""
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = _name(node.func)
        if name not in errors and name not in LIBRARY_ERRORS:
            continue
        said = [*node.args, *(k.value for k in node.keywords if k.arg in {"message", "reason"})]
        if any(_worded(arg) for arg in said):
            yield node.lineno, name or "?"


def text_keys(tree: ast.Module) -> Iterator[tuple[int, str]]:
    """(line, key) of each ``Text("key", ...)`` / ``t("key", ...)`` with a literal key."""
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and _name(node.func) in {"Text", "t", "text_in"}
            and node.args
        ):
            first = node.args[0] if _name(node.func) != "text_in" else node.args[-1]
            # A catalog key is dotted (rich's ``Text("")`` is not one).
            if isinstance(first, ast.Constant) and KEY.fullmatch(str(first.value)):
                yield node.lineno, first.value


# A load's rejection reasons and warnings (connectors/): the report keeps
# them in English and the terminal finds each one's catalog entry, so each is
# a catalog ``Text`` made English (``english(Text(...))``), never words.
REPORT_LISTS = {"warnings", "bad_lines", "rejections", "listings"}
# Where a call takes its reason (a field name before it is an identifier).
REASON_AT = {"reject": 3, "Problem": 1, "_Refused": 1, "_Unreadable": 0, "listing": 0}


def connector_sites(tree: ast.Module) -> Iterator[tuple[int, str]]:
    """(line, what) of each reason or warning of a load given words in English."""
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func, name = node.func, _name(node.func)
        said: list[ast.expr] = []
        if name in REASON_AT:
            said = [
                *node.args[REASON_AT[name] : REASON_AT[name] + 1],
                *(k.value for k in node.keywords if k.arg in {"reason", "key"}),
            ]
        elif (
            name in {"append", "extend", "insert"}
            and isinstance(func, ast.Attribute)
            and _name(func.value) in REPORT_LISTS
        ):
            said = [*node.args]
        for arg in said:
            parts = arg.elts if isinstance(arg, ast.Tuple | ast.List) else [arg]
            if isinstance(arg, ast.IfExp):
                parts = [arg.body, arg.orelse]
            if any(_worded(part) for part in parts):
                yield node.lineno, name or "?"
                break


# What ``tspace node`` and ``tspace service serve`` log at INFO and above, a
# person reads on the terminal: a ``logged("log.*")`` line, never words.
# Debug lines are for developers; a test-only hook's line (a node held
# after a task, the space held before a step) stays English.
LOG_LEVELS = {"info", "warning", "error", "exception", "critical"}
PERCENT = re.compile(r"%[-+ #0-9.]*[sdfrx]")
LOG_ALLOWED = {"%s: holding after %s (%s)", "holding before %s (%s)"}


def english_log_lines(tree: ast.Module) -> Iterator[tuple[int, str]]:
    """(line, level) of each log call at INFO or above whose text is words."""
    for node in ast.walk(tree):
        if not (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in LOG_LEVELS
            and _name(node.func.value) in {"log", "logger", "LOG"}
            and node.args
        ):
            continue
        first = node.args[0]
        if isinstance(first, ast.Constant) and isinstance(first.value, str):
            if first.value in LOG_ALLOWED:
                continue
            first = ast.Constant(PERCENT.sub(" ", first.value))
        if _worded(first):
            yield node.lineno, node.func.attr


def _catches_value_error(handler: ast.ExceptHandler) -> bool:
    kinds = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
    return any(kind is not None and _name(kind) == "ValueError" for kind in kinds)


def rewrapped_value_errors(tree: ast.Module, errors: set[str]) -> Iterator[tuple[int, str]]:
    """(line, class) of each error made of ``str(exc)`` of a caught ValueError
    (English: a caller's mistake) that is not said through ``recognised``."""
    for handler in ast.walk(tree):
        if not (isinstance(handler, ast.ExceptHandler) and handler.name):
            continue
        if not _catches_value_error(handler):
            continue
        for node in (n for stmt in handler.body for n in ast.walk(stmt)):
            if not isinstance(node, ast.Call):
                continue
            name = _name(node.func)
            if name not in errors and name not in LIBRARY_ERRORS:
                continue
            said = [*node.args, *(k.value for k in node.keywords if k.arg == "message")]
            translated = {
                id(inner)
                for arg in said
                for call in ast.walk(arg)
                if isinstance(call, ast.Call) and _name(call.func) == "recognised"
                for inner in ast.walk(call)
            }
            raw = [
                n
                for arg in said
                for n in ast.walk(arg)
                if isinstance(n, ast.Call)
                and _name(n.func) == "str"
                and n.args
                and isinstance(n.args[0], ast.Name)
                and n.args[0].id == handler.name
                and id(n) not in translated
            ]
            if raw:
                yield node.lineno, name or "?"


TREES = _sources()
ERROR_CLASSES = error_classes(TREES)


@pytest.mark.parametrize("path", sorted(TREES))
def test_no_error_is_raised_in_plain_english(path: str) -> None:
    sites = [f"{path}:{line} {cls}" for line, cls in english_sites(TREES[path], ERROR_CLASSES)]
    assert not sites, "errors worded in English only (say a Text from error_text):\n" + "\n".join(
        sites
    )


@pytest.mark.parametrize("path", sorted(TREES))
def test_every_text_the_code_names_exists(path: str) -> None:
    missing = [
        f"{path}:{line} {key}" for line, key in text_keys(TREES[path]) if key not in MESSAGES
    ]
    assert not missing, "\n".join(missing)


def test_error_texts_are_namespaced_by_floor() -> None:
    assert ERRORS, "the error catalog is empty"
    assert all(key.startswith("err.") for key in ERRORS)


CONTROL = """
from trusted_space.core.errors import InputError, TspaceError
class _Bad(InputError):
    pass
class Local(_Bad):
    pass
def f(x):
    raise InputError("no such file")
def g(x):
    return Local(f"row {x} is bad")
def h(x):
    raise typer.BadParameter(f"expected one of {x}")
def fine(x):
    raise InputError(Text("err.x", x=x))
def fine2(x):
    raise ValueError("a caller's mistake")
def fine3(x):
    raise InputError(str(x))
def fine4(x):
    raise Local(f"{x}")
def fine5(x):
    raise Local("peer.unsigned", peer=x)
def bad5(x):
    raise Local("peer.no_such_key")
def bad6(x):
    raise Local("; ".join(x) or "the job failed")
def bad7(x):
    raise Local(x if x else f"job {x} failed")
"""


def test_the_check_sees_each_form_it_forbids() -> None:
    tree = ast.parse(CONTROL)
    errors = error_classes({**TREES, "control.py": tree})
    assert {"TspaceError", "InputError", "_Bad", "Local"} <= errors
    found = sorted(cls for _, cls in english_sites(tree, errors))
    assert found == ["BadParameter", "InputError", "Local", "Local", "Local", "Local"]
    assert list(text_keys(tree)) == [(14, "err.x")]


@pytest.mark.parametrize("path", sorted(p for p in TREES if p.startswith("connectors/")))
def test_no_rejection_reason_or_warning_of_a_load_is_plain_english(path: str) -> None:
    sites = [f"{path}:{line} {what}" for line, what in connector_sites(TREES[path])]
    assert not sites, (
        "a load's reasons or warnings worded in English only "
        "(say english(Text(...)) from error_text):\n" + "\n".join(sites)
    )


CONNECTOR_CONTROL = """
def load(report, rows, x, path, enc):
    rows.reject(path, 3, "class", f"Encounter.class {x!r} has no declared visit type")
    report.warnings.append(f"{path}: one JSON document, not NDJSON")
    self.bad_lines.append((path, 4, "not UTF-8 text"))
    rows.report.warnings.append("total_cost is NULL" if x else "no Encounter")
    notes.listing("party keys seen under more than one name", [])
    return Problem(path, "not an organisation object")

def fine(report, rows, x, path):
    rows.reject(path, 3, "class", Text("err.connectors.fhir.class", code=x))
    report.warnings.append(english(Text("err.connectors.fhir.whole", path=path)))
    self.bad_lines.append((path, 4, Text("err.connectors.fhir.not_utf8")))
    report.warnings.extend(reader.warnings())
    notes.listing("err.connectors.ocds.spellings", [])
    rows.reject(path, None, None, exc.reason)
    return Problem(f"{path}.id", english(exc.reason))
"""


def test_the_connector_check_sees_each_form_it_forbids() -> None:
    found = list(connector_sites(ast.parse(CONNECTOR_CONTROL)))
    assert found == [
        (3, "reject"),
        (4, "append"),
        (5, "append"),
        (6, "append"),
        (7, "listing"),
        (8, "Problem"),
    ], found


@pytest.mark.parametrize("path", sorted(TREES))
def test_no_log_line_a_person_reads_is_plain_english(path: str) -> None:
    sites = [f"{path}:{line} log.{level}" for line, level in english_log_lines(TREES[path])]
    assert not sites, "log lines in English only (say logged('log.*')):\n" + "\n".join(sites)


LOG_CONTROL = """
def f(log, x):
    log.info("%s offers %d dataset(s)", x, 2)
    log.warning(f"job {x} failed")
    log.error("peer work failed: %s", x)
    log.info("%s", logged("log.node.pulling", name=x))
    log.debug("%s: task %s done (%s)", x, x, x)
    log.info("%s: %d", x, 3)
    log.warning("%s: holding after %s (%s)", x, x, x)
"""


def test_the_log_check_sees_each_form_it_forbids() -> None:
    found = list(english_log_lines(ast.parse(LOG_CONTROL)))
    assert found == [(3, "info"), (4, "warning"), (5, "error")], found


@pytest.mark.parametrize("path", sorted(TREES))
def test_no_value_error_is_shown_in_plain_english(path: str) -> None:
    sites = [
        f"{path}:{line} {cls}" for line, cls in rewrapped_value_errors(TREES[path], ERROR_CLASSES)
    ]
    assert not sites, "a ValueError's English shown as is (say recognised(str(exc))):\n" + (
        "\n".join(sites)
    )


VALUE_CONTROL = """
def f(x):
    try:
        g(x)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    try:
        g(x)
    except (KeyError, ValueError) as exc:
        raise InputError(str(exc).splitlines()[0]) from None
    try:
        g(x)
    except ValueError as exc:
        raise typer.BadParameter(str(recognised(str(exc)))) from None
    try:
        g(x)
    except ValueError as exc:
        raise InputError(recognised(str(exc))) from None
    try:
        g(x)
    except OSError as exc:
        raise InputError(str(exc)) from None
"""


def test_the_value_error_check_sees_each_form_it_forbids() -> None:
    found = list(rewrapped_value_errors(ast.parse(VALUE_CONTROL), ERROR_CLASSES))
    assert found == [(6, "BadParameter"), (10, "InputError")], found
