"""Bar charts as SVG text, drawn on the server (no chart library, no script: the page's CSP
allows none inline, and an SVG element with presentation attributes needs none).

Every label is escaped; the chart carries a <title> and the table next to it holds the same
numbers for screen readers and for the CSV export.
"""

from __future__ import annotations

from html import escape

PALETTE = ("#0b4f8a", "#f2b705", "#1d7a3a", "#b3261e", "#6a4c93", "#2a9d8f", "#e76f51", "#5b6875")


def _nice_max(value: float) -> float:
    """The axis top: 1, 2 or 5 times a power of ten, at least `value`."""
    if value <= 0:
        return 1.0
    power = 1.0
    while power * 10 <= value:
        power *= 10
    while power > value:
        power /= 10
    for step in (1, 2, 5, 10):
        if step * power >= value:
            return step * power
    return 10 * power


def bar_chart(title: str, categories: list[str], series: list[tuple[str, list[float]]], *, stacked: bool = False,
              unit: str = "", width: int = 720, height: int = 280) -> str:
    """Vertical bars per category: one bar per series side by side, or stacked."""
    left, right, top, bottom = 48, 12, 28, 44
    plot_w, plot_h = width - left - right, height - top - bottom
    if stacked:
        peak = max((sum(values[i] or 0 for _, values in series) for i in range(len(categories))), default=0)
    else:
        peak = max((v or 0 for _, values in series for v in values), default=0)
    top_value = _nice_max(peak)
    parts = [f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
             f'width="{width}" height="{height}" role="img" aria-label="{escape(title)}">',
             f"<title>{escape(title)}</title>",
             f'<text x="{left}" y="16" font-size="13" font-weight="bold" fill="#17212b">{escape(title)}</text>']
    for i in range(5):
        value = top_value * i / 4
        y = top + plot_h - plot_h * i / 4
        label = f"{value:g}{unit}"
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" stroke="#d9dee3"/>')
        parts.append(f'<text x="{left - 6}" y="{y + 4:.1f}" font-size="11" text-anchor="end" fill="#5b6875">'
                     f"{escape(label)}</text>")
    slot = plot_w / max(1, len(categories))
    bar_w = slot * 0.7 / (1 if stacked else max(1, len(series)))
    for ci, category in enumerate(categories):
        x0 = left + slot * ci + slot * 0.15
        base = 0.0
        for si, (name, values) in enumerate(series):
            value = values[ci] or 0
            h = plot_h * value / top_value
            if stacked:
                x, y = x0, top + plot_h - plot_h * base / top_value - h
                base += value
            else:
                x, y = x0 + bar_w * si, top + plot_h - h
            if value:
                parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{h:.1f}" '
                             f'fill="{PALETTE[si % len(PALETTE)]}"><title>{escape(name)} {escape(category)}: '
                             f"{value:g}{escape(unit)}</title></rect>")
        parts.append(f'<text x="{left + slot * ci + slot / 2:.1f}" y="{top + plot_h + 16}" font-size="11" '
                     f'text-anchor="middle" fill="#17212b">{escape(category)}</text>')
    x = left
    for si, (name, _) in enumerate(series):
        parts.append(f'<rect x="{x}" y="{height - 14}" width="10" height="10" fill="{PALETTE[si % len(PALETTE)]}"/>')
        parts.append(f'<text x="{x + 14}" y="{height - 5}" font-size="11" fill="#17212b">{escape(name)}</text>')
        x += 24 + 7 * len(name)
    parts.append("</svg>")
    return "".join(parts)
