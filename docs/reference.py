"""Write docs/cli.md and docs/rest-api.md from the code itself.

    python docs/reference.py          # rewrite both files
    python docs/reference.py --check  # exit 1 if either is out of date

The CLI reference comes from the Typer/Click command tree (every command's
help and options); the REST reference from the service's OpenAPI document.
tests/unit/test_docs_reference.py runs the check, so neither can drift.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from typing import Any

import typer

DOCS = Path(__file__).resolve().parent


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


# Typer carries its own copy of Click, so parameters and groups are told
# apart by their attributes rather than by Click's classes.
def _option_row(param: Any) -> str:
    if param.param_type_name == "argument":
        name = f"`{(param.metavar or param.name or '').upper()}`"
        kind = "argument" + (", repeatable" if param.nargs == -1 else "")
    else:
        name = ", ".join(f"`{o}`" for o in [*param.opts, *param.secondary_opts])
        kind = "flag" if param.is_flag else "value"
        if param.multiple:
            kind += ", repeatable"
    default = getattr(param, "default", None)
    shown = (
        ""
        if default in (None, False, ())
        or callable(default)
        or (param.param_type_name == "option" and param.is_flag and default is False)
        else f"`{default}`"
    )
    required = "yes" if param.required else ""
    help_text = _cell(getattr(param, "help", None) or "")
    return f"| {name} | {kind} | {required} | {shown} | {help_text} |"


def _commands(group: Any, path: list[str]) -> list[tuple[list[str], Any]]:
    out = [(path, group)]
    if hasattr(group, "commands"):
        for name in sorted(group.commands):
            out += _commands(group.commands[name], [*path, name])
    return out


def cli_markdown() -> str:
    from trusted_space.cli import app

    root = typer.main.get_command(app)
    lines = [
        "# Command line reference",
        "",
        "Generated from the commands themselves by `python docs/reference.py`; "
        "`tspace COMMAND --help` prints the same in the terminal. "
        "Global options (`--lang zh-CN|en`, `--version`) go before the command.",
        "",
    ]
    for path, cmd in _commands(root, ["tspace"]):
        if cmd.hidden:
            continue
        lines += [f"## `{' '.join(path)}`", ""]
        if cmd.help:
            lines += [cmd.help.strip(), ""]
        params = [p for p in cmd.params if p.name != "help" and not getattr(p, "hidden", False)]
        if params:
            lines += [
                "| option | kind | required | default | help |",
                "|---|---|---|---|---|",
                *(_option_row(p) for p in params),
                "",
            ]
    return "\n".join(lines).rstrip() + "\n"


def _schema_name(schema: dict[str, Any]) -> str:
    if "$ref" in schema:
        return str(schema["$ref"]).rsplit("/", 1)[-1]
    if "anyOf" in schema:
        kinds = [_schema_name(s) for s in schema["anyOf"] if s.get("type") != "null"]
        return " or ".join(kinds) + (" or null" if len(kinds) < len(schema["anyOf"]) else "")
    if schema.get("type") == "array" and "items" in schema:
        return f"list of {_schema_name(schema['items'])}"
    return str(schema.get("type") or schema.get("format") or "object")


def rest_markdown() -> str:
    from trusted_space.service.app import create_app
    from trusted_space.service.settings import ServiceSettings

    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(ServiceSettings(workdir=Path(tmp)))
        try:
            spec = app.openapi()
        finally:
            app.state.space.close()
    lines = [
        "# REST API reference",
        "",
        f"Generated from the service's OpenAPI document ({spec['info']['title']}, "
        "`GET /openapi.json` on a running space) by `python docs/reference.py`.",
        "Every route but `/v1/health` needs `Authorization: Bearer <API key>`. "
        "Errors are RFC 9457 problem details (`application/problem+json`): 401 "
        "missing or unknown key, 403 wrong role, 404 absent or not yours, 409 "
        "conflict or replay, 413 body or batch too large, 422 invalid payload. "
        "A problem's `title` and `detail` are in the language the request's "
        "`Accept-Language` asks for (`zh-CN` or `en`; otherwise the service's, "
        "zh-CN unless `TSPACE_LANG` says otherwise); tspace's own clients send "
        "theirs (`--lang`). "
        "The console's HTML pages (`/console`) are not part of this API.",
        "",
    ]
    for path in sorted(spec["paths"]):
        for method, op in sorted(spec["paths"][path].items()):
            lines += [f"## `{method.upper()} {path}`", ""]
            summary = op.get("description") or op.get("summary") or ""
            if summary:
                lines += [summary.strip(), ""]
            params = op.get("parameters", [])
            if params:
                lines += ["| parameter | in | required | type |", "|---|---|---|---|"]
                for p in params:
                    lines.append(
                        f"| `{p['name']}` | {p['in']} | {'yes' if p.get('required') else ''} "
                        f"| {_schema_name(p.get('schema', {}))} |"
                    )
                lines.append("")
            body = op.get("requestBody", {}).get("content", {})
            for media, content in sorted(body.items()):
                shape = _schema_name(content.get("schema", {}))
                lines += [f"Request body: `{media}`, {shape}.", ""]
            codes = []
            for code, response in sorted(op.get("responses", {}).items()):
                content = response.get("content", {})
                shape = ""
                for media, c in sorted(content.items()):
                    shape = f" (`{media}`, {_schema_name(c.get('schema', {}))})"
                codes.append(f"{code}{shape}")
            if codes:
                lines += ["Responses: " + "; ".join(codes) + ".", ""]
    lines += ["## Schemas", ""]
    for name, schema in sorted(spec.get("components", {}).get("schemas", {}).items()):
        props = schema.get("properties", {})
        required = set(schema.get("required", []))
        lines += [f"### {name}", ""]
        if schema.get("description"):
            lines += [_cell(schema["description"]), ""]
        if props:
            lines += ["| field | type | required |", "|---|---|---|"]
            for field, s in props.items():
                kind = _schema_name(s)
                lines.append(f"| `{field}` | {kind} | {'yes' if field in required else ''} |")
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"


class _Annotation(str):
    """A string annotation shown without quotes in a signature."""

    def __repr__(self) -> str:
        return str(self)


def _signature(obj: Any) -> str:
    import inspect

    sig = inspect.signature(obj)
    params = [
        p.replace(annotation=_Annotation(p.annotation)) if isinstance(p.annotation, str) else p
        for p in sig.parameters.values()
    ]
    ret = sig.return_annotation
    ret = _Annotation(ret) if isinstance(ret, str) else ret
    return str(sig.replace(parameters=params, return_annotation=ret))


def python_markdown() -> str:
    import inspect

    from trusted_space import api

    lines = [
        "# Python API reference",
        "",
        "Generated from `trusted_space/api.py` by `python docs/reference.py`. "
        "This is the public API the notebooks use: `from trusted_space import api as ts`. "
        "Other modules are internal and may change.",
        "",
        inspect.cleandoc(api.__doc__ or "").split("\n\n", 1)[1],
        "",
    ]
    for name in sorted(
        api.__all__,
        key=lambda n: (
            not callable(getattr(api, n)) or inspect.isclass(getattr(api, n)),
            n.lower(),
        ),
    ):
        obj = getattr(api, name)
        kind = "class" if inspect.isclass(obj) else "function"
        lines += [f"## `{name}`", ""]
        if kind == "function":
            lines += ["```python", f"{name}{_signature(obj)}", "```", ""]
        else:
            lines += [f"*class* `{obj.__module__}.{obj.__qualname__}`", ""]
        lines += [inspect.cleandoc(obj.__doc__ or ""), ""]
    return "\n".join(lines).rstrip() + "\n"


FILES = {"cli.md": cli_markdown, "rest-api.md": rest_markdown, "python-api.md": python_markdown}


def main() -> int:
    stale = []
    for name, make in FILES.items():
        text = make()
        path = DOCS / name
        if "--check" in sys.argv:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                stale.append(name)
        else:
            path.write_text(text, encoding="utf-8")
    if stale:
        print(f"out of date: {', '.join(stale)}; run python docs/reference.py", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
