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


# Options only one deployment has: the embedded run holds the providers'
# data and the space (files, policies, keys, backends); the client names the
# space it calls. Everything else is the same option with the same default.
EMBEDDED_ONLY = {
    "--hospital", "--cdc-reports", "--cdc-registry", "--tenders", "--rates", "--policy",
    "--consumer", "--suite", "--ray", "--workdir", "--default-scheme",
}  # fmt: skip
CLIENT_ONLY = {"--space", "--api-key-file", "--workdir", "--patience"}  # patience: network waits
# --model: embedded, the product's own model file; over HTTP, the model the
# space's policies approve (the client has no model file of its own).
DEFAULTS_DIFFER = {"--model"}


def _options(*names: str) -> dict[str, object]:
    command: Any = typer.main.get_command(app)
    for name in names:
        command = command.commands[name]
    return {p.opts[0]: (p.default, p.required) for p in command.params if p.opts}


@pytest.mark.parametrize("product", ["underwrite", "lend", "claims"])
def test_embedded_and_http_commands_take_the_same_options(product: str) -> None:
    embedded = _options(product)
    client = _options("client", product)
    assert set(embedded) - EMBEDDED_ONLY == set(client) - CLIENT_ONLY
    for option in set(embedded) - EMBEDDED_ONLY - DEFAULTS_DIFFER:
        assert embedded[option] == client[option], option
    for option in DEFAULTS_DIFFER & set(embedded):
        assert embedded[option][1] is client[option][1] is False  # optional in both


def test_lend_says_features_not_scores_when_a_policy_sets_retention(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from products.lending.runner import FeatureRow
    from products.underwriting.runner import ScoreRow
    from trusted_space.cli.common import report_features, report_scores

    monkeypatch.setattr(i18n, "_language", "zh-CN")
    report_features([FeatureRow("c1", "found")], {"retention_days": 90}, tmp_path / "f.csv")
    out = capsys.readouterr().out
    assert "特征结果须在 90 天内删除" in out and "评分" not in out
    report_scores([ScoreRow("a1", "invalid_id")], {"retention_days": 90}, tmp_path / "s.csv")
    assert "评分结果须在 90 天内删除" in capsys.readouterr().out
