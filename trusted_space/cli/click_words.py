"""Usage errors of the command line (typer's click) in the console's language.

typer words its usage errors ("No such option: --x", "Missing option
'--out'.", "Invalid value for '--as-of': ...") and the "Usage:" line in
English f-strings of its own copy of click, with no gettext to hook. So
tspace translates them where typer shows them: ``install()`` wraps
``typer.rich_utils.rich_format_error``, and under zh-CN each message is
matched against the forms below (click's English, with option names, values
and file names kept as the user wrote them) and shown in Chinese. Under
``--lang en`` typer's own English is shown unchanged. A message of no known
form is shown as it is (tests/unit/test_language_leaks.py walks the usage
errors a user meets, so a typer upgrade that rewords one fails there).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from trusted_space.core.i18n import language

# Words typer fills into its messages (a parameter's kind, a value's type, a path's kind).
WORDS = {
    "option": "选项",
    "argument": "参数",
    "parameter": "参数",
    "int": "整数",
    "integer": "整数",
    "float": "小数",
    "bool": "布尔值",
    "boolean": "布尔值",
    "str": "文本",
    "file": "文件",
    "File": "文件",
    "directory": "目录",
    "Directory": "目录",
    "path": "路径",
    "Path": "路径",
}


def _word(text: str) -> str:
    return WORDS.get(text, text)


# A value typer found invalid: the part after "Invalid value for '--x': ".
VALUE_FORMS: list[tuple[str, Callable[[re.Match[str]], str]]] = [
    (
        r"Value (?P<v>.+) is not a valid (?P<t>[\w ]+)\.",
        lambda m: f"{m['v']} 不是有效的{_word(m['t'])}。",
    ),
    (
        r"(?P<v>.+) is not a valid (?P<t>[\w ]+)\.",
        lambda m: f"{m['v']} 不是有效的{_word(m['t'])}。",
    ),
    (r"(?P<v>.+) is not one of (?P<c>.+)\.", lambda m: f"{m['v']} 不在 {m['c']} 之中。"),
    (r"(?P<v>.+) is not (?P<c>.+)\.", lambda m: f"{m['v']} 不是 {m['c']}。"),
    (
        r"(?P<v>.+) does not match the formats? (?P<f>.+)\.",
        lambda m: f"{m['v']} 不符合格式 {m['f']}。",
    ),
    (r"(?P<v>.+) is not in the range (?P<r>.+)\.", lambda m: f"{m['v']} 不在范围 {m['r']} 之内。"),
    (
        r"(?P<k>File|Directory|Path|file|directory|path) (?P<p>.+) does not exist\.",
        lambda m: f"{_word(m['k'])} {m['p']} 不存在。",
    ),
    (r"(?P<k>\w+) (?P<p>.+) is a file\.", lambda m: f"{_word(m['k'])} {m['p']} 是文件，不是目录。"),
    (
        r"(?P<k>\w+) (?P<p>.+) is a directory\.",
        lambda m: f"{_word(m['k'])} {m['p']} 是目录，不是文件。",
    ),
    (r"(?P<k>\w+) (?P<p>.+) is not readable\.", lambda m: f"{_word(m['k'])} {m['p']} 不可读。"),
    (r"(?P<k>\w+) (?P<p>.+) is not writable\.", lambda m: f"{_word(m['k'])} {m['p']} 不可写。"),
]


# pydantic's words, for the values typer checks with it (an int option).
COMPARED = {
    "greater than": "大于",
    "greater than or equal to": "大于或等于",
    "less than": "小于",
    "less than or equal to": "小于或等于",
}
VALUE_FORMS[:0] = [
    (
        r"Input should be a valid (?P<t>[\w ]+?)(?:, .+)?",
        lambda m: f"应为有效的{_word(m['t'])}。",
    ),
    (
        r"Input should be (?P<op>(?:greater|less) than(?: or equal to)?) (?P<n>\S+)",
        lambda m: f"应{COMPARED[m['op']]} {m['n']}。",
    ),
]


def _value(message: str) -> str:
    for form, zh in VALUE_FORMS:
        m = re.fullmatch(form, message, re.DOTALL)
        if m:
            return zh(m)
    return message  # tspace's own checks are worded in the language already


def _missing(m: re.Match[str]) -> str:
    hint = f" {m['hint'].strip()}" if m["hint"] else ""
    rest = f" {_value(m['rest'].strip())}" if m["rest"] else ""
    return f"缺少{_word(m['kind'])}{hint}。{rest}"


def _no_such_option(m: re.Match[str]) -> str:
    out = f"没有选项 {m['name']}"
    if m["options"]:
        out += f"（可能是：{m['options']}）"
    return out


FORMS: list[tuple[str, Callable[[re.Match[str]], str]]] = [
    (r"No such option: (?P<name>\S+)(?: \(Possible options: (?P<options>.+)\))?", _no_such_option),
    (
        r"No such command (?P<name>.+?)\.(?: Did you mean (?P<other>.+)\?)?",
        lambda m: (
            f"没有命令 {m['name']}。" + (f"您是否要输入 {m['other']}？" if m["other"] else "")
        ),
    ),
    (r"Missing command\.", lambda m: "缺少命令。"),
    (r"Missing parameter: (?P<name>.+)", lambda m: f"缺少参数：{m['name']}"),
    (r"Missing (?P<kind>option|argument|parameter)(?P<hint> [^.]+)?\.(?P<rest> .+)?", _missing),
    (
        r"Invalid value for (?P<hint>.+?): (?P<msg>.+)",
        lambda m: f"{m['hint']} 的值无效：{_value(m['msg'])}",
    ),
    (r"Invalid value: (?P<msg>.+)", lambda m: f"值无效：{_value(m['msg'])}"),
    (r"Option (?P<name>.+) requires an argument\.", lambda m: f"选项 {m['name']} 需要一个值。"),
    (
        r"Option (?P<name>.+) requires (?P<n>\d+) arguments\.",
        lambda m: f"选项 {m['name']} 需要 {m['n']} 个值。",
    ),
    (r"Option (?P<name>.+) does not take a value\.", lambda m: f"选项 {m['name']} 不接受值。"),
    (
        r"Got unexpected extra arguments? ?(?:\(s\))? \((?P<args>.+)\)",
        lambda m: f"多余的参数（{m['args']}）",
    ),
    (
        r"Argument (?P<name>.+) takes (?P<n>\d+) values\.",
        lambda m: f"参数 {m['name']} 需要 {m['n']} 个值。",
    ),
    (
        r"Could not open file (?P<f>.+?): (?P<msg>.+)",
        lambda m: f"无法打开文件 {m['f']}：{m['msg']}",
    ),
]


def translate(message: str) -> str:
    """A usage error's message in the current language."""
    if language() == "en":
        return message
    for form, zh in FORMS:
        m = re.fullmatch(form, message, re.DOTALL)
        if m:
            return zh(m)
    return message


def usage(line: str) -> str:
    """A "Usage: tspace lend [OPTIONS]" line in the current language."""
    if language() == "en":
        return line
    return re.sub(r"^(\s*)Usage: ", r"\1用法：", line)


def install() -> None:
    """Show typer's usage errors through ``translate`` and ``usage`` (idempotent)."""
    import typer.rich_utils as rich_utils

    shown = rich_utils.rich_format_error
    if getattr(shown, "_tspace", False):
        return

    def rich_format_error(error: Any) -> None:
        message = error.format_message
        error.format_message = lambda: translate(message())
        ctx = getattr(error, "ctx", None)
        if ctx is not None:
            get_usage = ctx.get_usage
            ctx.get_usage = lambda: usage(get_usage())
        shown(error)

    rich_format_error._tspace = True  # type: ignore[attr-defined]
    rich_utils.rich_format_error = rich_format_error  # type: ignore[assignment]
