"""Lineage drawn as a graph (血缘关系图): an SVG laid out in Python at build time.

Columns from left to right: the entries a resource is built from (up to ``DEPTH`` steps back),
the resource, the entries built from it (up to ``DEPTH`` steps on). Each entry sits in the
column of its longest path to the resource, so a chain reads left to right; within a column,
nodes are ordered by the mean position of their neighbours nearer the centre (one barycentre
pass), which keeps edges from crossing in the common shapes. Rendering here rather than with a
JavaScript graph library keeps the page static: nothing to vendor, and it shows without
scripts and in print.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from markupsafe import Markup, escape

DEPTH = 2  # steps up and down the lineage drawn around a resource
NODE_W, NODE_H = 196, 54
COL_GAP, ROW_GAP, PAD = 64, 14, 8
NAME_CHARS = 12  # a CJK character is about one em: 12 fit in a node at 13 px


@dataclass(frozen=True)
class Node:
    code: str
    name: str
    layer: str  # department / base / thematic / open


def neighbourhood(
    code: str, edges: Iterable[tuple[str, str]], depth: int = DEPTH
) -> tuple[dict[str, int], list[tuple[str, str]]]:
    """Column of every entry within ``depth`` steps up (negative) or down (positive) of ``code``,
    and the edges among them that point away from it on either side."""
    ups: dict[str, set[str]] = defaultdict(set)
    downs: dict[str, set[str]] = defaultdict(set)
    for up, down in edges:
        ups[down].add(up)
        downs[up].add(down)

    def walk(links: dict[str, set[str]]) -> dict[str, int]:
        dist = {code: 0}
        frontier = {code}
        for step in range(1, depth + 1):
            frontier = {n for f in frontier for n in links.get(f, ())}
            for n in frontier:
                dist[n] = step  # last (longest) step wins: a chain reads left to right
        return dist

    before, after = walk(ups), walk(downs)
    columns = {n: -d for n, d in before.items()} | {n: d for n, d in after.items()}
    kept = sorted(
        (up, down)
        for down, us in ups.items()
        for up in us
        if up in columns
        and down in columns
        and columns[up] < columns[down]
        and ((up in before and down in before) or (up in after and down in after))
    )
    return columns, kept


def _order(columns: dict[str, int], edges: list[tuple[str, str]], code: str) -> dict[str, int]:
    """Row of every node in its column: outward from the centre, by neighbours' mean row."""
    linked: dict[str, set[str]] = defaultdict(set)
    for up, down in edges:
        linked[up].add(down)
        linked[down].add(up)
    row = {code: 0}
    for side in (-1, 1):
        col = side
        while any(c == col for c in columns.values()):
            here = [n for n, c in columns.items() if c == col]
            inner = {n for n, c in columns.items() if c == col - side}

            def key(n: str, inner: set[str] = inner) -> tuple[float, str]:
                near = [row[m] for m in linked[n] if m in inner and m in row]
                return (sum(near) / len(near) if near else 0.0, n)

            for i, n in enumerate(sorted(here, key=key)):
                row[n] = i
            col += side
    return row


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def lineage_svg(
    code: str,
    nodes: dict[str, Node],
    edges: Iterable[tuple[str, str]],
    href: Callable[[str], str],
    depth: int = DEPTH,
) -> Markup:
    """The lineage graph of ``code`` as inline SVG markup; other nodes link to ``href(code)``."""
    columns, kept = neighbourhood(code, edges, depth)
    columns = {n: c for n, c in columns.items() if n in nodes}
    kept = [(u, d) for u, d in kept if u in columns and d in columns]
    rows = _order(columns, kept, code)
    lo, hi = min(columns.values()), max(columns.values())
    per_col: dict[int, int] = defaultdict(int)
    for c in columns.values():
        per_col[c] += 1
    tallest = max(per_col.values())
    height = PAD * 2 + tallest * NODE_H + (tallest - 1) * ROW_GAP
    width = PAD * 2 + (hi - lo + 1) * NODE_W + (hi - lo) * COL_GAP

    def box(n: str) -> tuple[float, float]:
        c = columns[n]
        x = PAD + (c - lo) * (NODE_W + COL_GAP)
        span = per_col[c] * NODE_H + (per_col[c] - 1) * ROW_GAP
        y = (height - span) / 2 + rows[n] * (NODE_H + ROW_GAP)
        return x, y

    out = [
        f'<svg class="lineage" role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" aria-label="血缘关系图 lineage graph">',
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" '
        'class="lineage-arrow"/></marker></defs>',
    ]
    for up, down in kept:
        (x1, y1), (x2, y2) = box(up), box(down)
        x1, y1, y2 = x1 + NODE_W, y1 + NODE_H / 2, y2 + NODE_H / 2
        mid = (x1 + x2) / 2
        out.append(
            f'<path class="lineage-edge" data-from="{escape(up)}" data-to="{escape(down)}" '
            f'd="M{x1:.1f},{y1:.1f} C{mid:.1f},{y1:.1f} {mid:.1f},{y2:.1f} {x2 - 2:.1f},{y2:.1f}" '
            'marker-end="url(#arrow)"/>'
        )
    for n in sorted(columns, key=lambda n: (columns[n], rows[n])):
        node, (x, y) = nodes[n], box(n)
        side = "current" if n == code else ("upstream" if columns[n] < 0 else "downstream")
        group = (
            f'<g class="lineage-node {side} layer-{escape(node.layer)}" data-code="{escape(n)}">'
            f"<title>{escape(node.name)} {escape(n)}</title>"
            f'<rect x="{x}" y="{y:.1f}" width="{NODE_W}" height="{NODE_H}" rx="6"/>'
            f'<text x="{x + 10}" y="{y + 22:.1f}" class="lineage-name">'
            f"{escape(_clip(node.name, NAME_CHARS))}</text>"
            f'<text x="{x + 10}" y="{y + 41:.1f}" class="lineage-code">{escape(n)}</text></g>'
        )
        out.append(group if n == code else f'<a href="{escape(href(n))}">{group}</a>')
    out.append("</svg>")
    return Markup("".join(out))
