"""A small DAG: a deterministic topological order, and the exact cycle when there is one."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from asp_provision.errors import AspError


class CycleError(AspError, ValueError):
    """The graph has a cycle; ``cycle`` lists it, first node repeated at the end."""

    def __init__(self, cycle: list[str]) -> None:
        super().__init__("dependency cycle: " + " -> ".join(cycle))
        self.cycle = cycle


def topological_order(edges: Mapping[str, Sequence[str]]) -> list[str]:
    """Order nodes so each comes after what it depends on (``edges[node]``).

    Ties keep the order in which nodes appear in ``edges``, so the result is stable.
    """
    for name, needs in edges.items():
        for dep in needs:
            if dep not in edges:
                raise ValueError(f"{name} depends on unknown {dep}")
    remaining = {node: set(deps) for node, deps in edges.items()}
    order: list[str] = []
    while remaining:
        # the earliest-declared node whose dependencies are all placed
        ready = next((n for n, deps in remaining.items() if not deps), None)
        if ready is None:
            raise CycleError(_find_cycle(remaining))
        order.append(ready)
        del remaining[ready]
        for waiting in remaining.values():
            waiting.discard(ready)
    return order


def _find_cycle(remaining: Mapping[str, set[str]]) -> list[str]:
    start = min(remaining)
    path: list[str] = []
    node = start
    while node not in path:
        path.append(node)
        node = min(remaining[node])
    return [*path[path.index(node) :], node]


def closure(edges: Mapping[str, Sequence[str]], nodes: set[str]) -> set[str]:
    """``nodes`` and everything they depend on, transitively."""
    out: set[str] = set()
    stack = list(nodes)
    while stack:
        node = stack.pop()
        if node not in out:
            out.add(node)
            stack.extend(edges[node])
    return out
