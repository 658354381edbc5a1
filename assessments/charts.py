"""Server-rendered SVG charts with Chinese labels: the same markup in pages and PDFs."""

from collections.abc import Sequence
from decimal import Decimal
from html import escape

from django.utils.safestring import SafeString, mark_safe

FONT = "Noto Sans CJK SC, Microsoft YaHei, sans-serif"
RED = "#b22222"
# In pages the chart scales with its column; in PDFs it keeps its own size.
RESPONSIVE = ' style="max-width:100%;height:auto"'


def _num(value) -> str:
    value = Decimal(str(value))
    return format(value.quantize(Decimal("0.1")).normalize(), "f")


def bar_chart(
    items: Sequence[tuple[str, float]],
    *,
    title: str,
    unit: str = "",
    maximum: float | None = None,
    width: int = 640,
    responsive: bool = True,
) -> SafeString:
    """Horizontal bars, one per (label, value); labels and values escaped."""
    bar_h, gap, left, top = 22, 8, 170, 34
    height = top + len(items) * (bar_h + gap) + 10
    top_value = maximum or max([float(v) for _, v in items] + [1])
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}"{RESPONSIVE if responsive else ""} role="img" '
        f'aria-label="{escape(title)}" '
        f'font-family="{FONT}" font-size="12">',
        f'<text x="0" y="16" font-size="14" font-weight="bold">{escape(title)}</text>',
    ]
    usable = width - left - 60
    for n, (label, value) in enumerate(items):
        y = top + n * (bar_h + gap)
        length = 0 if not top_value else usable * float(value) / float(top_value)
        parts += [
            f'<text x="{left - 8}" y="{y + 15}" text-anchor="end">{escape(str(label))}</text>',
            f'<rect x="{left}" y="{y}" width="{length:.1f}" height="{bar_h}" fill="{RED}"/>',
            f'<text x="{left + length + 6:.1f}" y="{y + 15}">{_num(value)}{escape(unit)}</text>',
        ]
    if not items:
        parts.append(f'<text x="0" y="{top + 14}" fill="#888">暂无数据</text>')
    parts.append("</svg>")
    return mark_safe("".join(parts))  # every text above is escaped


def line_chart(
    points: Sequence[tuple[str, float]],
    *,
    title: str,
    unit: str = "%",
    maximum: float = 100,
    width: int = 640,
    height: int = 220,
    responsive: bool = True,
) -> SafeString:
    """A trend across periods (e.g. the pass rate of successive campaigns)."""
    left, right, top, bottom = 40, 20, 34, 40
    plot_w, plot_h = width - left - right, height - top - bottom
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}"{RESPONSIVE if responsive else ""} role="img" '
        f'aria-label="{escape(title)}" '
        f'font-family="{FONT}" font-size="12">',
        f'<text x="0" y="16" font-size="14" font-weight="bold">{escape(title)}</text>',
        f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" '
        'stroke="#999"/>',
    ]
    if points:
        step = plot_w / max(len(points) - 1, 1)
        start = left if len(points) > 1 else left + plot_w / 2  # a lone point sits centered
        coords = [
            (start + i * step, top + plot_h - plot_h * float(v) / maximum)
            for i, (_, v) in enumerate(points)
        ]
        parts.append(
            '<polyline fill="none" stroke="#b22222" stroke-width="2" points="'
            + " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
            + '"/>'
        )
        for (x, y), (label, value) in zip(coords, points, strict=True):
            parts += [
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{RED}"/>',
                f'<text x="{x:.1f}" y="{y - 6:.1f}" text-anchor="middle">{_num(value)}'
                f"{escape(unit)}</text>",
                f'<text x="{x:.1f}" y="{top + plot_h + 16}" text-anchor="middle">'
                f"{escape(str(label))}</text>",
            ]
    else:
        parts.append(f'<text x="{left}" y="{top + 20}" fill="#888">暂无数据</text>')
    parts.append("</svg>")
    return mark_safe("".join(parts))  # every text above is escaped
