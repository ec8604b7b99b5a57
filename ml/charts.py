"""Small inline-SVG charts for the model report.

matplotlib is not a dependency of the hub (and `shap`'s plots need it), so the report draws its
few charts as SVG text: no image files, no fonts to install, and the HTML stays self-contained.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

import numpy as np
from numpy.typing import NDArray

WIDTH, HEIGHT = 560, 340
MARGIN = {"left": 60, "right": 20, "top": 36, "bottom": 44}
BLUE, RED, GREY = "#2b6cb0", "#c53030", "#a0aec0"


def _frame(title: str, x_label: str, y_label: str, body: list[str], height: int = HEIGHT) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
        f'viewBox="0 0 {WIDTH} {height}" role="img" aria-label="{escape(title)}" font-family="sans-serif">'
        f'<text x="{WIDTH / 2}" y="20" text-anchor="middle" font-size="14">{escape(title)}</text>'
        f'<text x="{WIDTH / 2}" y="{height - 8}" text-anchor="middle" font-size="12">{escape(x_label)}</text>'
        f'<text x="14" y="{height / 2}" text-anchor="middle" font-size="12" '
        f'transform="rotate(-90 14 {height / 2})">{escape(y_label)}</text>' + "".join(body) + "</svg>"
    )


def _scale(lo: float, hi: float, a: float, b: float) -> tuple[float, float]:
    """(slope, offset) mapping [lo, hi] onto [a, b]."""
    span = (hi - lo) or 1.0
    return (b - a) / span, a - lo * (b - a) / span


def _axes(x_lo: float, x_hi: float, y_lo: float, y_hi: float, height: int = HEIGHT) -> list[str]:
    left, bottom, top = MARGIN["left"], height - MARGIN["bottom"], MARGIN["top"]
    right = WIDTH - MARGIN["right"]
    parts = [
        f'<line x1="{left}" y1="{bottom}" x2="{right}" y2="{bottom}" stroke="black"/>',
        f'<line x1="{left}" y1="{bottom}" x2="{left}" y2="{top}" stroke="black"/>',
    ]
    for i in range(5):
        fx, fy = x_lo + (x_hi - x_lo) * i / 4, y_lo + (y_hi - y_lo) * i / 4
        px = left + (right - left) * i / 4
        py = bottom - (bottom - top) * i / 4
        parts.append(
            f'<text x="{px:.1f}" y="{bottom + 16}" text-anchor="middle" font-size="10">{fx:.2g}</text>'
        )
        parts.append(
            f'<text x="{left - 6}" y="{py + 3:.1f}" text-anchor="end" font-size="10">{fy:.2g}</text>'
        )
    return parts


def line_chart(
    title: str,
    x_label: str,
    y_label: str,
    series: Sequence[tuple[str, Sequence[float], Sequence[float], str]],
    *,
    diagonal: bool = False,
) -> str:
    """Lines with markers; each series is (name, xs, ys, colour); `diagonal` draws y = x."""
    xs = np.concatenate([np.asarray(s[1], dtype=float) for s in series])
    ys = np.concatenate([np.asarray(s[2], dtype=float) for s in series])
    lo, hi = (0.0, max(float(xs.max()), float(ys.max()), 1e-9)) if diagonal else (0.0, 0.0)
    x_lo, x_hi = (lo, hi) if diagonal else (float(xs.min()), float(xs.max()))
    y_lo, y_hi = (lo, hi) if diagonal else (0.0, float(ys.max()) * 1.1 or 1.0)
    ax, bx = _scale(x_lo, x_hi, MARGIN["left"], WIDTH - MARGIN["right"])
    ay, by = _scale(y_lo, y_hi, HEIGHT - MARGIN["bottom"], MARGIN["top"])
    body = _axes(x_lo, x_hi, y_lo, y_hi)
    if diagonal:
        body.append(
            f'<line x1="{ax * lo + bx:.1f}" y1="{ay * lo + by:.1f}" x2="{ax * hi + bx:.1f}" '
            f'y2="{ay * hi + by:.1f}" stroke="{GREY}" stroke-dasharray="4 4"/>'
        )
    for index, (name, sx, sy, colour) in enumerate(series):
        points = " ".join(f"{ax * x + bx:.1f},{ay * y + by:.1f}" for x, y in zip(sx, sy, strict=True))
        body.append(f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="2"/>')
        body += [
            f'<circle cx="{ax * x + bx:.1f}" cy="{ay * y + by:.1f}" r="3" fill="{colour}"/>'
            for x, y in zip(sx, sy, strict=True)
        ]
        body.append(
            f'<text x="{MARGIN["left"] + 10}" y="{MARGIN["top"] + 14 + 14 * index}" font-size="11" '
            f'fill="{colour}">{escape(name)}</text>'
        )
    return _frame(title, x_label, y_label, body)


def bar_chart(title: str, x_label: str, y_label: str, labels: Sequence[str], values: Sequence[float]) -> str:
    """Vertical bars, one per label, with a dashed reference line at 1."""
    top = max(max(values, default=1.0), 1.0) * 1.1
    ay, by = _scale(0.0, top, HEIGHT - MARGIN["bottom"], MARGIN["top"])
    slot = (WIDTH - MARGIN["left"] - MARGIN["right"]) / max(len(values), 1)
    body = _axes(0, 0, 0.0, top)[:2]
    for i in range(5):
        value = top * i / 4
        body.append(
            f'<text x="{MARGIN["left"] - 6}" y="{ay * value + by + 3:.1f}" text-anchor="end" font-size="10">'
            f"{value:.2g}</text>"
        )
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        x = MARGIN["left"] + i * slot + slot * 0.15
        body.append(
            f'<rect x="{x:.1f}" y="{ay * value + by:.1f}" width="{slot * 0.7:.1f}" '
            f'height="{(ay * 0 + by) - (ay * value + by):.1f}" fill="{BLUE}"/>'
        )
        body.append(
            f'<text x="{x + slot * 0.35:.1f}" y="{HEIGHT - MARGIN["bottom"] + 16}" text-anchor="middle" '
            f'font-size="10">{escape(label)}</text>'
        )
    body.append(
        f'<line x1="{MARGIN["left"]}" y1="{ay + by:.1f}" x2="{WIDTH - MARGIN["right"]}" y2="{ay + by:.1f}" '
        f'stroke="{GREY}" stroke-dasharray="4 4"/>'
    )
    return _frame(title, x_label, y_label, body)


def shap_summary(
    title: str, names: Sequence[str], contributions: NDArray[np.float64], values: NDArray[np.float64]
) -> str:
    """Beeswarm-like strips: per feature (rows), each sample's contribution (x), coloured by the
    feature's value rank (blue low → red high, grey missing)."""
    row_height, label_width = 22, 190
    height = MARGIN["top"] + MARGIN["bottom"] + row_height * len(names)
    limit = float(np.nanmax(np.abs(contributions))) or 1.0
    ax, bx = _scale(-limit, limit, label_width, WIDTH - MARGIN["right"])
    bottom = height - MARGIN["bottom"]
    body = [f'<line x1="{bx:.1f}" y1="{MARGIN["top"]}" x2="{bx:.1f}" y2="{bottom}" stroke="{GREY}"/>']
    rng = np.random.default_rng(0)
    for row, name in enumerate(names):
        y = MARGIN["top"] + row_height * row + row_height / 2
        body.append(
            f'<text x="{label_width - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="10">'
            f"{escape(name)}</text>"
        )
        column = values[:, row]
        ranks = np.argsort(np.argsort(np.nan_to_num(column, nan=-np.inf))) / max(len(column) - 1, 1)
        for contribution, value, rank in zip(contributions[:, row], column, ranks, strict=True):
            colour = GREY if np.isnan(value) else f"rgb({int(255 * rank)},60,{int(255 * (1 - rank))})"
            jitter = rng.uniform(-row_height / 3, row_height / 3)
            body.append(
                f'<circle cx="{ax * contribution + bx:.1f}" cy="{y + jitter:.1f}" r="1.8" fill="{colour}" '
                'fill-opacity="0.6"/>'
            )
    for i in range(5):
        v = -limit + 2 * limit * i / 4
        body.append(
            f'<text x="{ax * v + bx:.1f}" y="{height - MARGIN["bottom"] + 16}" text-anchor="middle" '
            f'font-size="10">{v:.2g}</text>'
        )
    return _frame(title, "contribution to the log-odds (TreeSHAP)", "", body, height)
