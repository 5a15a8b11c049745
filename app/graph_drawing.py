"""The container graph as Mermaid text (`python -m app graph`) and as boxes for `/status`: one
node per provider, an arrow from each dependency to its user, so left to right is start-up order."""

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, Protocol

NODE_HEIGHT: Final = 46
COLUMN_GAP: Final = 70
ROW_GAP: Final = 22
MARGIN: Final = 8
CHARACTER_WIDTH: Final = 8  # roughly one character of the page's monospace label font, in pixels
# Words Mermaid would read as syntax where a node id is expected.
_MERMAID_KEYWORDS: Final = frozenset({"end", "graph", "subgraph", "flowchart", "style", "class"})


class GraphNode(Protocol):
    """A service as drawn (a discovered `Service` or a status report)."""

    @property
    def path(self) -> str: ...
    @property
    def depends_on(self) -> tuple[str, ...]: ...


def mermaid_id(path: str) -> str:
    """A node id Mermaid accepts for any provider path (`reporting.exporter`, `end`)."""
    identifier = re.sub(r"\W", "_", path)
    return f"{identifier}_" if identifier.lower() in _MERMAID_KEYWORDS else identifier


def mermaid(nodes: Sequence[GraphNode]) -> str:
    """A Mermaid flowchart: one node per service, arrows from a dependency to its user."""
    lines = ["flowchart LR"]
    lines += [f'    {mermaid_id(node.path)}["{node.path}"]' for node in nodes]
    lines += [
        f"    {mermaid_id(dependency)} --> {mermaid_id(node.path)}"
        for node in nodes
        for dependency in node.depends_on
    ]
    return "\n".join(lines) + "\n"


def depths(nodes: Sequence[GraphNode]) -> dict[str, int]:
    """Each service's column: one more than its deepest dependency (0 for none). `nodes` come
    dependencies first, as discovery lists them (it refuses a cycle)."""
    found: dict[str, int] = {}
    for node in nodes:
        found[node.path] = 1 + max((found[used] for used in node.depends_on), default=-1)
    return found


@dataclass(frozen=True, slots=True)
class PlacedNode:
    path: str
    x: int
    y: int
    width: int


@dataclass(frozen=True, slots=True)
class PlacedEdge:
    """An arrow from a dependency to its user, as SVG path data."""

    source: str
    target: str
    path: str


@dataclass(frozen=True, slots=True)
class Layout:
    nodes: tuple[PlacedNode, ...]
    edges: tuple[PlacedEdge, ...]
    width: int
    height: int
    node_height: int = NODE_HEIGHT


def _arrow(source: PlacedNode, target: PlacedNode) -> PlacedEdge:
    x1, y1 = source.x + source.width, source.y + NODE_HEIGHT // 2
    x2, y2 = target.x, target.y + NODE_HEIGHT // 2
    bend = (x2 - x1) // 2
    curve = f"M{x1},{y1} C{x1 + bend},{y1} {x2 - bend},{y2} {x2},{y2}"
    return PlacedEdge(source.path, target.path, curve)


def layout(nodes: Sequence[GraphNode]) -> Layout:
    """Columns by dependency depth, rows in declaration order, one width per column."""
    column_of = depths(nodes)
    columns: dict[int, list[GraphNode]] = {}
    for node in nodes:
        columns.setdefault(column_of[node.path], []).append(node)
    placed: dict[str, PlacedNode] = {}
    x = MARGIN
    for column in sorted(columns):
        # Wide enough for the longest name and for the longest state ("not started").
        longest = max(len(name) for node in columns[column] for name in (node.path, "not started"))
        width = CHARACTER_WIDTH * longest + 24
        for row, node in enumerate(columns[column]):
            y = MARGIN + row * (NODE_HEIGHT + ROW_GAP)
            placed[node.path] = PlacedNode(node.path, x, y, width)
        x += width + COLUMN_GAP
    edges = [_arrow(placed[used], placed[node.path]) for node in nodes for used in node.depends_on]
    rows = max(map(len, columns.values()), default=0)
    height = 2 * MARGIN + rows * NODE_HEIGHT + max(rows - 1, 0) * ROW_GAP
    return Layout(tuple(placed.values()), tuple(edges), x - COLUMN_GAP + MARGIN, height)
