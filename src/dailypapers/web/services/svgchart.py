"""Line charts as inline SVG, drawn on the server: readable without JavaScript, themed by CSS.

Pure: labels and numbers in, markup out (every text escaped). Axes and text use
``currentColor``, so the page's light or dark colours apply; each point has a <title>
(the browser's tooltip) and the chart an aria-label; the page adds the numbers as a table.
"""

from __future__ import annotations

import math
from html import escape

# Tableau 10: distinguishable, and legible on both light and dark backgrounds.
PALETTE = ("#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7")
WIDTH, HEIGHT = 760, 280
LEFT, RIGHT, TOP, BOTTOM = 52, 16, 16, 44
MAX_X_LABELS = 8


def nice_ticks(top: float, count: int = 5) -> list[float]:
    """0 and round steps (1, 2, 5 x 10^n) up to at least ``top``."""
    if top <= 0:
        return [0, 1]
    raw = top / count
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    step = max(step, 1)  # counts are whole numbers
    return [i * step for i in range(int(math.ceil(top / step)) + 1)]


def _number(value: float) -> str:
    return f"{value:,.0f}" if value == int(value) else f"{value:,.1f}"


def line_chart(title: str, labels: list[str], series: list[tuple[str, list[int]]], unit: str) -> str:
    """An SVG line chart of ``series`` (name, one value per label); ``unit`` names the values ("papers")."""
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    ticks = nice_ticks(max((v for _, values in series for v in values), default=0))
    top = ticks[-1]
    n = len(labels)

    def x(i: int) -> float:
        return LEFT + (plot_w * i / (n - 1) if n > 1 else plot_w / 2)

    def y(v: float) -> float:
        return TOP + plot_h - plot_h * v / top

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" '
        f'role="img" aria-label="{escape(title)}" class="chart" font-size="12" fill="currentColor">',
        f"<title>{escape(title)}</title>",
    ]
    for tick in ticks:
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" '
            f'stroke="currentColor" stroke-opacity="{0.5 if tick == 0 else 0.15}"/>'
        )
        parts.append(f'<text x="{LEFT - 6}" y="{y(tick) + 4:.1f}" text-anchor="end">{_number(tick)}</text>')
    every = max(1, math.ceil(n / MAX_X_LABELS))
    for i, label in enumerate(labels):
        if i % every == 0:
            # The last label ends at the plot's edge: centred on it, half of it was cut off ("2026-W").
            anchor = "end" if i == n - 1 and n > 1 else "middle"
            parts.append(
                f'<text x="{x(i):.1f}" y="{HEIGHT - BOTTOM + 18}" text-anchor="{anchor}">{escape(label)}</text>'
            )
    parts.append(
        f'<text x="{LEFT}" y="{HEIGHT - 6}" font-size="11" fill-opacity="0.8">{escape(unit)} per '
        f"{'week' if labels and '-W' in labels[0] else 'day'}</text>"
    )
    for number, (name, values) in enumerate(series):
        color = PALETTE[number % len(PALETTE)]
        points = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(values))
        parts.append(f'<g class="series" data-name="{escape(name)}">')
        parts.append(
            f'<polyline points="{points}" fill="none" stroke="{color}" stroke-width="2.2" stroke-linejoin="round"/>'
        )
        for i, v in enumerate(values):
            parts.append(
                f'<circle cx="{x(i):.1f}" cy="{y(v):.1f}" r="3" fill="{color}">'
                f"<title>{escape(name)}, {escape(labels[i])}: {_number(v)} {escape(unit)}</title></circle>"
            )
        parts.append("</g>")
    parts.append("</svg>")
    return "".join(parts)


def legend(names: list[str]) -> list[tuple[str, str]]:
    """(name, colour) in the charts' order, for the page's legend."""
    return [(name, PALETTE[i % len(PALETTE)]) for i, name in enumerate(names)]
