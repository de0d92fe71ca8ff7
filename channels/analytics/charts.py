"""Charts as inline SVG strings: no script, no CDN, Chinese labels in the page's font.

Values are escaped; sizes are in user units so the browser scales the chart to its box.
"""

from __future__ import annotations

from html import escape
from typing import Mapping, Sequence

PALETTE = ("#1f6fb2", "#e07b24", "#3a9a5b", "#b23a48", "#7a5cb2", "#888888")
FONT = "font-family='WenQuanYi Micro Hei, Noto Sans CJK SC, sans-serif' font-size='11'"


def bars(title: str, labels: Sequence[str], series: Mapping[str, Sequence[float]],
         width: int = 640, height: int = 220) -> str:
    """Grouped vertical bars: one group per label, one bar per series."""
    left, bottom, top = 36, 28, 24
    plot_w, plot_h = width - left - 8, height - bottom - top
    peak = max([v for values in series.values() for v in values] or [0]) or 1
    group_w = plot_w / max(len(labels), 1)
    bar_w = max(group_w / (len(series) + 1), 1)
    parts = [_head(title, width, height), _axis(left, top, plot_h, peak)]
    for s, (name, values) in enumerate(series.items()):
        colour = PALETTE[s % len(PALETTE)]
        for i, value in enumerate(values):
            h = plot_h * value / peak
            x = left + i * group_w + s * bar_w + bar_w / 2
            parts.append(f"<rect x='{x:.1f}' y='{top + plot_h - h:.1f}' width='{bar_w:.1f}' "
                         f"height='{h:.1f}' fill='{colour}'><title>{escape(name)} {escape(labels[i])}："
                         f"{value:g}</title></rect>")
    step = max(1, len(labels) // 12)
    for i in range(0, len(labels), step):
        x = left + (i + 0.5) * group_w
        parts.append(f"<text x='{x:.1f}' y='{height - 12}' text-anchor='middle' {FONT}>"
                     f"{escape(labels[i])}</text>")
    parts.append(_legend(list(series), width))
    return "".join(parts) + "</svg>"


def lines(title: str, labels: Sequence[str], series: Mapping[str, Sequence[float | None]],
          width: int = 640, height: int = 220, percent: bool = False) -> str:
    """One polyline per series; gaps (None) are skipped."""
    left, bottom, top = 36, 28, 24
    plot_w, plot_h = width - left - 8, height - bottom - top
    peak = max([v for values in series.values() for v in values if v is not None] or [0]) or 1
    dx = plot_w / max(len(labels) - 1, 1)
    parts = [_head(title, width, height), _axis(left, top, plot_h, peak, percent)]
    for s, (name, values) in enumerate(series.items()):
        points = " ".join(f"{left + i * dx:.1f},{top + plot_h - plot_h * v / peak:.1f}"
                          for i, v in enumerate(values) if v is not None)
        parts.append(f"<polyline points='{points}' fill='none' stroke='{PALETTE[s % len(PALETTE)]}' "
                     f"stroke-width='2'><title>{escape(name)}</title></polyline>")
    step = max(1, len(labels) // 8)
    for i in range(0, len(labels), step):
        parts.append(f"<text x='{left + i * dx:.1f}' y='{height - 12}' text-anchor='middle' {FONT}>"
                     f"{escape(labels[i])}</text>")
    parts.append(_legend(list(series), width))
    return "".join(parts) + "</svg>"


def _head(title: str, width: int, height: int) -> str:
    return (f"<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 {width} {height}' role='img' "
            f"aria-label='{escape(title)}'><text x='4' y='14' {FONT} font-weight='bold'>"
            f"{escape(title)}</text>")


def _axis(left: int, top: int, plot_h: float, peak: float, percent: bool = False) -> str:
    label = f"{peak:.0%}" if percent else f"{peak:g}"
    return (f"<line x1='{left}' y1='{top}' x2='{left}' y2='{top + plot_h}' stroke='#999'/>"
            f"<text x='{left - 4}' y='{top + 8}' text-anchor='end' {FONT}>{label}</text>"
            f"<text x='{left - 4}' y='{top + plot_h}' text-anchor='end' {FONT}>0</text>")


def _legend(names: list[str], width: int) -> str:
    out = []
    for i, name in enumerate(names):
        x = width - 90 * (len(names) - i)
        out.append(f"<rect x='{x}' y='5' width='10' height='10' fill='{PALETTE[i % len(PALETTE)]}'/>"
                   f"<text x='{x + 14}' y='14' {FONT}>{escape(name)}</text>")
    return "".join(out)
