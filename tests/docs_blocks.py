"""The code blocks of the README and docs/, as a test reads them.

Every fenced block runs or is checked: ``bash`` is executed, ``yaml`` and
``json`` are parsed and validated as what they are (a policy, a cohort query,
a mapping), ``python`` is compiled. A block that is not meant to run (an
output sample, a synopsis with placeholders, a diagram, an install from the
network) says so on the line before its fence::

    <!-- not run: REASON -->
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NOT_RUN = re.compile(r"^<!-- not run: (?P<reason>.+?) -->$")
FENCE = re.compile(r"^```(?P<lang>[\w-]*)\s*$")


@dataclass(frozen=True)
class Block:
    file: str
    line: int  # of the opening fence, 1-based
    lang: str
    text: str
    not_run: str | None

    @property
    def id(self) -> str:
        return f"{self.file}:{self.line}"


def doc_files() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def blocks(path: Path) -> list[Block]:
    lines = path.read_text("utf-8").splitlines()
    out: list[Block] = []
    i = 0
    while i < len(lines):
        opening = FENCE.match(lines[i])
        if opening is None:
            i += 1
            continue
        start = i
        i += 1
        body: list[str] = []
        while i < len(lines) and not lines[i].startswith("```"):
            body.append(lines[i])
            i += 1
        before = lines[start - 1].strip() if start > 0 else ""
        marked = NOT_RUN.match(before)
        out.append(
            Block(
                str(path.relative_to(ROOT)),
                start + 1,
                opening["lang"],
                "\n".join(body) + "\n",
                marked["reason"] if marked else None,
            )
        )
        i += 1
    return out


def every_block() -> list[Block]:
    return [b for path in doc_files() for b in blocks(path)]
