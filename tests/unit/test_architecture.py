"""The floors (docs/architecture.md) that import-linter's contracts cannot say.

- No import loop between modules, not even one made of imports under TYPE_CHECKING or
  inside functions: the import graph of trusted_space, connectors, policies and products
  has no strongly connected component of more than one module. A package's __init__
  importing its own submodules (to re-export them) is not counted as an edge.
- No product's name in the code of the space, the nodes or connectors/node/: the engines
  and the nodes are generic, a product is data (its definition) on the fourth floor.
  Comments, docstrings and the few help texts allowed below do not count.
- Every module in products/ is either a face (runner.py, client.py, reference.py) or a
  source of the "product-definitions" contract in pyproject.toml, and every module of
  connectors/ outside connectors/node/ a source of the "connectors" contract (those
  contracts list modules, since import-linter cannot say "all but").

Each detector is first shown to work on a tiny example.
"""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("trusted_space", "connectors", "policies", "products")

# The places that stay generic, and the names they must not say.
GENERIC = ("trusted_space/space", "trusted_space/nodes", "connectors/node")
PRODUCT_NAME = re.compile(r"underwriting|lending|cohort|claim|hospital|cdc", re.IGNORECASE)
# Help and i18n texts (string constants) in the generic places that may name a product:
# (path relative to the repository, the exact string). Keep this list small.
ALLOWED_TEXTS: frozenset[tuple[str, str]] = frozenset()

FACES = ("runner", "client", "reference")


# ---------------------------------------------------------------- import loops


def import_edges(graph: grimp.ImportGraph) -> dict[str, set[str]]:
    """Module -> modules it imports, without a package's __init__ importing its own
    submodules (re-exports)."""
    edges: dict[str, set[str]] = {}
    for module in graph.modules:
        edges[module] = {
            imported
            for imported in graph.find_modules_directly_imported_by(module)
            if imported in graph.modules and not imported.startswith(module + ".")
        }
    return edges


def loops(edges: Mapping[str, Iterable[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative), each
    sorted, the list sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[list[str]] = []
    counter = 0
    for start in sorted(edges):
        if start in index:
            continue
        work: list[tuple[str, list[str]]] = [(start, sorted(edges.get(start, ())))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, todo = work[-1]
            if todo:
                nxt = todo.pop()
                if nxt not in index:
                    index[nxt] = low[nxt] = counter
                    counter += 1
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, sorted(edges.get(nxt, ()))))
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return sorted(found)


def describe(graph: grimp.ImportGraph, component: list[str]) -> str:
    members = set(component)
    lines = [" <-> ".join(component)]
    for importer in component:
        for imported in sorted(graph.find_modules_directly_imported_by(importer) & members):
            if imported.startswith(importer + "."):
                continue
            for detail in graph.get_import_details(importer=importer, imported=imported):
                lines.append(
                    f"    {importer} -> {imported} (l.{detail['line_number']}: "
                    f"{detail['line_contents']})"
                )
    return "\n".join(lines)


def test_loop_detector_on_tiny_graphs() -> None:
    graph = grimp.ImportGraph()
    for importer, imported in [
        ("pkg", "pkg.a"),  # a re-export: not an edge
        ("pkg.a", "pkg"),
        ("pkg.a", "pkg.b"),
        ("pkg.b", "pkg.c"),
        ("pkg.c", "pkg.a"),  # a, b, c form a loop
        ("pkg.d", "pkg.e"),  # d, e: no loop
    ]:
        graph.add_import(importer=importer, imported=imported)
    assert loops(import_edges(graph)) == [["pkg.a", "pkg.b", "pkg.c"]]
    graph.remove_import(importer="pkg.c", imported="pkg.a")
    assert loops(import_edges(graph)) == []
    graph.add_import(importer="pkg.e", imported="pkg.d")
    assert loops(import_edges(graph)) == [["pkg.d", "pkg.e"]]


def test_loop_detector_sees_type_checking_and_function_imports(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = tmp_path / "tiny_floors_probe"
    package.mkdir()
    (package / "__init__.py").write_text("from tiny_floors_probe.a import A\n")
    (package / "a.py").write_text(
        "from __future__ import annotations\n"
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n"
        "    from tiny_floors_probe.b import B\n"
        "class A:\n"
        "    b: B | None = None\n"
    )
    (package / "b.py").write_text("def make():\n    from tiny_floors_probe.a import A\n")
    (package / "c.py").write_text("from tiny_floors_probe import A\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    graph = grimp.build_graph("tiny_floors_probe", cache_dir=None)
    # The __init__ re-exporting a, and c importing the package, make no loop; a and b do.
    assert loops(import_edges(graph)) == [["tiny_floors_probe.a", "tiny_floors_probe.b"]]
    sys.modules.pop("tiny_floors_probe", None)


def test_no_import_loops() -> None:
    graph = grimp.build_graph(*PACKAGES, cache_dir=None)
    found = loops(import_edges(graph))
    assert not found, "import loops between modules:\n" + "\n".join(
        describe(graph, component) for component in found
    )


# ---------------------------------------------------------------- product names


def docstring_nodes(tree: ast.AST) -> set[int]:
    """ids of the string constants that are docstrings or other bare string statements
    (they do nothing: documentation, like comments)."""
    found: set[int] = set()
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Expr)
            and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str)
        ):
            found.add(id(node.value))
    return found


def names_of(node: ast.AST) -> list[str]:
    """The identifiers a node spells in code."""
    if isinstance(node, ast.Name):
        return [node.id]
    if isinstance(node, ast.Attribute):
        return [node.attr]
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return [node.name]
    if isinstance(node, ast.arg):
        return [node.arg]
    if isinstance(node, ast.keyword):
        return [node.arg] if node.arg else []
    if isinstance(node, ast.alias):
        return [node.name, node.asname] if node.asname else [node.name]
    if isinstance(node, ast.ImportFrom):
        return [node.module] if node.module else []
    if isinstance(node, ast.Global | ast.Nonlocal):
        return list(node.names)
    if isinstance(node, ast.MatchAs | ast.MatchStar):
        return [node.name] if node.name else []
    return []


def product_names_in(
    source: str, path: str = "<example>", allowed: frozenset[tuple[str, str]] = ALLOWED_TEXTS
) -> list[tuple[int, str]]:
    """(line, word) for every product name in the code of `source`: identifiers and string
    constants, but not comments, docstrings or the allowed help texts."""
    tree = ast.parse(source)
    documentation = docstring_nodes(tree)
    hits: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        line = getattr(node, "lineno", 0)
        words = names_of(node)
        if isinstance(node, ast.Constant) and isinstance(node.value, str | bytes):
            if id(node) in documentation:
                continue
            text = node.value if isinstance(node.value, str) else node.value.decode("latin-1")
            if (path, text) in allowed:
                continue
            words = [text]
        for word in words:
            hits.extend((line, match.group(0)) for match in PRODUCT_NAME.finditer(word))
    return sorted(set(hits))


def test_product_name_detector_on_tiny_examples() -> None:
    clean = '''
"""A module docstring may say underwriting."""
# a comment may say cohort
import json


class Engine:
    """A class docstring may say lending."""

    def run(self, rows: list[int]) -> str:
        """A function docstring may say hospital."""
        "a bare string statement (an attribute docstring) may say CDC"
        return json.dumps(rows)  # so may a trailing comment: cohort
'''
    assert product_names_in(clean) == []
    assert product_names_in("def lending_score(x):\n    return x\n") == [(1, "lending")]
    assert product_names_in("import products.cohort.compute as c\n") == [(1, "cohort")]
    assert product_names_in("from products.cohort import query\n") == [(1, "cohort")]
    assert product_names_in("from x import cdc_rows\n") == [(1, "cdc")]
    assert product_names_in("if role == 'Hospital':\n    pass\n") == [(1, "Hospital")]
    assert product_names_in("x = f'{a}-underwriting'\n") == [(1, "underwriting")]
    assert product_names_in("x.Underwriting = 1\n") == [(1, "Underwriting")]
    assert product_names_in("def f(*, cohort_id):\n    g(cohort=cohort_id)\n") == [
        (1, "cohort"),
        (2, "cohort"),
    ]
    assert product_names_in("class CohortUpload:\n    pass\n") == [(1, "Cohort")]
    assert product_names_in("from products.claims import rows\n") == [(1, "claim")]
    assert product_names_in("x = b'hospital'\n") == [(1, "hospital")]
    help_text = "print('a hospital or a CDC: see the product card')\n"
    assert product_names_in(help_text) == [(1, "CDC"), (1, "hospital")]
    allowed = frozenset({("m.py", "a hospital or a CDC: see the product card")})
    assert product_names_in(help_text, "m.py", allowed) == []
    assert product_names_in(help_text, "other.py", allowed) != []


def generic_files() -> list[Path]:
    return sorted(path for place in GENERIC for path in (ROOT / place).rglob("*.py"))


def test_no_product_names_in_the_generic_floors() -> None:
    assert generic_files(), "no files found under " + ", ".join(GENERIC)
    found = []
    for path in generic_files():
        relative = path.relative_to(ROOT).as_posix()
        source = path.read_text(encoding="utf-8")
        lines = source.splitlines()
        words_by_line: dict[int, list[str]] = {}
        for line, word in product_names_in(source, relative):
            words_by_line.setdefault(line, []).append(word)
        for line, words in sorted(words_by_line.items()):
            found.append(f"{relative}:{line}: {'/'.join(words)}: {lines[line - 1].strip()}")
    assert not found, "product names in the space, the nodes or connectors/node/:\n" + "\n".join(
        found
    )


def test_allowed_texts_still_exist() -> None:
    """An allowance that no longer matches a string in its file is removed from the list."""
    for relative, text in ALLOWED_TEXTS:
        tree = ast.parse((ROOT / relative).read_text(encoding="utf-8"))
        constants = {
            node.value
            for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str)
        }
        assert text in constants, f"{relative}: allowed text no longer there: {text!r}"


# ---------------------------------------------------------------- product definitions


def matches(expression: str, module: str) -> bool:
    """import-linter's module expressions: * is one name, ** one or more."""
    pattern = re.escape(expression).replace(r"\*\*", "[^.]+(?:\\.[^.]+)*").replace(r"\*", "[^.]+")
    return re.fullmatch(pattern, module) is not None


def test_module_expression_matcher() -> None:
    assert matches("products.*", "products.base")
    assert not matches("products.*", "products.cohort.query")
    assert matches("products.**", "products.cohort.query")
    assert matches("products.*.runner", "products.lending.runner")
    assert not matches("products.*.runner", "products.lending.runner_x")


def contract_sources(contract_id: str) -> list[str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    contracts = {c["id"]: c for c in config["tool"]["importlinter"]["contracts"]}
    sources: list[str] = contracts[contract_id]["source_modules"]
    return sources


def test_every_product_module_is_a_face_or_a_definition() -> None:
    sources = contract_sources("product-definitions")
    graph = grimp.build_graph("products", cache_dir=None)
    missing = sorted(
        module
        for module in graph.modules
        if module.rpartition(".")[2] not in FACES
        and not any(matches(expression, module) for expression in sources)
    )
    assert not missing, (
        "modules of products/ that are neither faces nor listed in the product-definitions "
        f"contract's source_modules (pyproject.toml): {missing}"
    )


def test_every_connector_module_is_in_the_connectors_contract() -> None:
    sources = contract_sources("connectors")
    graph = grimp.build_graph("connectors", cache_dir=None)
    listed = {m for m in graph.modules if any(matches(e, m) for e in sources)}
    outside_node = {m for m in graph.modules if not m.startswith("connectors.node.")}
    assert not sorted(outside_node - listed), (
        "modules of connectors/ outside connectors/node/ missing from the connectors "
        f"contract's source_modules (pyproject.toml): {sorted(outside_node - listed)}"
    )
    assert not sorted(listed - outside_node), (
        "modules of connectors/node/ among the connectors contract's source_modules: "
        f"{sorted(listed - outside_node)}"
    )
