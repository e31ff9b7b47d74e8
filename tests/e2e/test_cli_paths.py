"""Every path option of every command: a missing input is one line naming
the option and the path, exit 2, never a traceback (issue 24, item 1)."""

from __future__ import annotations

import inspect
import typing
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from trusted_space.cli import app
from trusted_space.cli.common import PathRole, path_roles
from trusted_space.core import i18n


def commands(
    group: typer.Typer, prefix: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], Callable[..., Any]]]:
    for command in group.registered_commands:
        fn = command.callback
        assert fn is not None
        yield (*prefix, command.name or fn.__name__.replace("_", "-")), fn
    for sub in group.registered_groups:
        assert sub.typer_instance is not None and sub.name is not None
        yield from commands(sub.typer_instance, (*prefix, sub.name))


ALL = sorted(commands(app), key=lambda c: c[0])


def _base(hint: Any) -> Any:
    return typing.get_args(hint)[0] if typing.get_origin(hint) is typing.Annotated else hint


def _label(fn: Callable[..., Any], name: str) -> tuple[str, bool]:
    """(option or argument name, is an option) of a parameter."""
    hint = typing.get_type_hints(fn, include_extras=True)[name]
    for info in typing.get_args(hint)[1:]:
        if isinstance(info, typer.models.OptionInfo):
            decls = [info.default, *(info.param_decls or ())]
            label = next((d for d in decls if isinstance(d, str) and d.startswith("--")), None)
            return label or "--" + name.replace("_", "-"), True
    return name.upper(), False


def test_every_path_parameter_is_marked_input_output_or_space() -> None:
    unmarked = []
    for names, fn in ALL:
        roles = path_roles(fn)
        for name, hint in typing.get_type_hints(fn, include_extras=True).items():
            if "Path" in str(_base(hint)) and name not in roles:
                unmarked.append(f"{' '.join(names)} {name}")
    assert not unmarked, unmarked
    assert sum(bool(path_roles(fn)) for _, fn in ALL) >= 30


def _arguments(fn: Callable[..., Any], missing: str, existing: Path, scratch: Path) -> list[str]:
    """A command line filling every required parameter, with ``missing`` absent."""
    roles = path_roles(fn)
    hints = typing.get_type_hints(fn, include_extras=True)
    options: list[str] = []
    positional: list[str] = []
    for name, param in inspect.signature(fn).parameters.items():
        if name != missing and param.default is not inspect.Parameter.empty:
            continue
        label, is_option = _label(fn, name)
        role: PathRole | None = roles[name][1] if name in roles else None
        base = str(_base(hints[name]))
        if name == missing:
            value = str(scratch / "no-such-file")
            if label == "--data":  # KIND:PATH
                value = "csv:" + value
        elif role is None:
            value = "1" if ("int" in base or "float" in base) else "x"
        elif role.kind == "input":
            value = str(existing)
        else:
            value = str(scratch / f"out-{name}")
        if is_option:
            options += [label, value]
        else:
            positional.append(value)
    return [*positional, *options]


CASES = [
    pytest.param(names, fn, name, id=f"{' '.join(names)} {name}")
    for names, fn in ALL
    for name, (_, role) in path_roles(fn).items()
    if role.kind in ("input", "space")
]


@pytest.mark.parametrize(("names", "fn", "name"), CASES)
def test_a_missing_path_is_one_line_naming_the_option(
    names: tuple[str, ...],
    fn: Callable[..., Any],
    name: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(i18n, "_language", "en")
    existing = tmp_path / "exists.csv"
    existing.write_text("a,b\n1,2\n", encoding="utf-8")
    args = _arguments(fn, name, existing, tmp_path)
    result = CliRunner().invoke(app, ["--lang", "en", *names, *args])
    output = result.output
    assert result.exit_code == 2, output
    assert "Traceback" not in output, output
    assert str(tmp_path / "no-such-file") in output, output
    label, _ = _label(fn, name)
    lines = [line for line in output.splitlines() if line.strip()]
    assert lines == [f"Error: {label}: no such file or folder: {tmp_path / 'no-such-file'}"]
