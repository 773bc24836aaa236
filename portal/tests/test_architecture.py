"""The project's shape, checked from the import graph itself (issue 10): no two top-level
packages import each other, directly or round a longer loop; the sandbox imports nothing of the
product; the product reaches the sandbox only through its facade. `make lint` runs the same rules
as import-linter contracts (pyproject.toml); this test shows the package graph has no cycle at all,
tests included."""

from __future__ import annotations

import grimp

PRODUCT = ["kernel", "graph", "shops", "catalog", "orders", "promotions", "ads", "portal"]
PACKAGES = [*PRODUCT, "meta_sandbox"]


def package_edges() -> dict[str, set[str]]:
    graph = grimp.build_graph(*PACKAGES, include_external_packages=False)
    edges: dict[str, set[str]] = {p: set() for p in PACKAGES}
    for module in graph.modules:
        source = module.split(".")[0]
        for imported in graph.find_modules_directly_imported_by(module):
            target = imported.split(".")[0]
            if target != source:
                edges[source].add(target)
    return edges


def find_cycle(edges: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(edges[node]):
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        path.pop()
        state[node] = 2
        return None

    for node in sorted(edges):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_find_cycle_finds_a_loop():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_no_import_cycle_between_top_level_packages():
    edges = package_edges()
    assert find_cycle(edges) is None, find_cycle(edges)


def test_the_sandbox_stands_apart():
    edges = package_edges()
    assert edges["meta_sandbox"] == set()
    graph = grimp.build_graph(*PACKAGES, include_external_packages=False)
    reached = {imported for module in graph.modules if module.split(".")[0] in PRODUCT
               for imported in graph.find_modules_directly_imported_by(module) if imported.startswith("meta_sandbox")}
    assert reached <= {"meta_sandbox.facade", "meta_sandbox"}, reached
