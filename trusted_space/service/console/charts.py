"""Small server-rendered SVG bar charts: no script, no CDN, readable by
screen readers (each chart has a title and the console shows its numbers
in a table beside it)."""

from __future__ import annotations

from html import escape

from markupsafe import Markup

BAR = 22
GAP = 8
LABEL_WIDTH = 160
WIDTH = 560


def bar_chart(title: str, bars: list[tuple[str, list[tuple[int, str]]]]) -> Markup:
    """Horizontal stacked bars: each bar is a label and (value, css class) parts."""
    peak = max((sum(v for v, _ in parts) for _, parts in bars), default=0) or 1
    scale = (WIDTH - LABEL_WIDTH - 60) / peak
    height = len(bars) * (BAR + GAP) + GAP
    out = [
        f'<svg class="chart" role="img" viewBox="0 0 {WIDTH} {height}" '
        f'width="{WIDTH}" height="{height}"><title>{escape(title)}</title>'
    ]
    for i, (label, parts) in enumerate(bars):
        y = GAP + i * (BAR + GAP)
        out.append(
            f'<text x="{LABEL_WIDTH - 8}" y="{y + BAR * 0.7:.1f}" text-anchor="end">'
            f"{escape(label)}</text>"
        )
        x = float(LABEL_WIDTH)
        for value, css in parts:
            w = value * scale
            if w > 0:
                out.append(
                    f'<rect class="{escape(css)}" x="{x:.1f}" y="{y}" width="{w:.1f}" '
                    f'height="{BAR}"></rect>'
                )
            x += w
        total = sum(v for v, _ in parts)
        out.append(f'<text x="{x + 6:.1f}" y="{y + BAR * 0.7:.1f}">{total}</text>')
    out.append("</svg>")
    return Markup("".join(out))
