"""The package's layering (docs/ARCHITECTURE.md): every module sits in one layer, a sub-package,
and imports only from its own layer or lower ones; no two modules import each other, directly or
through others.

Imports are read from the source with :mod:`ast` (nothing is imported), at module level, inside
functions, and under ``if TYPE_CHECKING:``; the layer rule counts them all, the cycle rule only
the ones that run (a type-only import cannot take part in an import cycle at run time).
"""

from __future__ import annotations

import ast
import graphlib
import sys
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path, PurePosixPath

import pytest

import provider_attribution

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

PACKAGE = "provider_attribution"
ROOT = Path(provider_attribution.__file__).parent

#: Lowest first: a module may import its own layer and the layers before it.
LAYERS = ("model", "engines", "sql", "warehouse", "emit", "sources", "analysis", "synthetic", "cli")
#: The only modules allowed directly in the package root; the root ``__init__`` is the public
#: API, above every layer.
ROOT_MODULES = {"__init__.py", "__main__.py"}


@dataclass(frozen=True)
class Import:
    """One import of a package module: who imports what, where, and whether only for types."""

    source: str
    target: str
    line: int
    type_only: bool

    def __str__(self) -> str:
        kind = " (under TYPE_CHECKING)" if self.type_only else ""
        return f"{self.source} imports {self.target} at line {self.line}{kind}"


def module_name(path: Path, root: Path = ROOT) -> str:
    """``provider_attribution.sql.compile`` for ``<root>/sql/compile.py``; packages by their
    ``__init__``."""
    parts = [PACKAGE, *path.relative_to(root).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def all_modules(root: Path = ROOT) -> dict[str, Path]:
    """Every module of the package, by dotted name."""
    return {module_name(p, root): p for p in sorted(root.rglob("*.py"))}


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _walk(node: ast.AST, type_only: bool = False) -> Iterator[tuple[ast.AST, bool]]:
    """Every node under ``node``, with whether it sits in an ``if TYPE_CHECKING:`` body."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.If) and _is_type_checking(child.test):
            yield child, type_only
            for stmt in child.body:
                yield stmt, True
                yield from _walk(stmt, True)
            for stmt in child.orelse:
                yield stmt, type_only
                yield from _walk(stmt, type_only)
        else:
            yield child, type_only
            yield from _walk(child, type_only)


def imports_of(name: str, source: str, modules: Iterable[str], is_package: bool) -> list[Import]:
    """The package modules ``name`` (with text ``source``) imports. ``from a import b`` counts as
    importing ``a.b`` when that is a module, else ``a``; relative imports are resolved."""
    known = set(modules)
    found: list[Import] = []
    for node, type_only in _walk(ast.parse(source)):
        if not isinstance(node, (ast.Import, ast.ImportFrom)):
            continue
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        else:
            base = node.module or ""
            if node.level:
                anchor = name.split(".")
                anchor = anchor[: len(anchor) - node.level + (1 if is_package else 0)]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                targets.append(sub if sub in known else base)
        for target in targets:
            if target == PACKAGE or target.startswith(PACKAGE + "."):
                found.append(Import(name, target, node.lineno, type_only))
    return found


def layer_of(module: str) -> str | None:
    """The layer a module belongs to; ``None`` for the root ``provider_attribution``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else None


def rank(module: str) -> int:
    """Position of the module's layer, lowest 0; the root package is above every layer."""
    layer = layer_of(module)
    return len(LAYERS) if layer is None else LAYERS.index(layer)


def upward_imports(imports: Iterable[Import]) -> list[Import]:
    """Imports of a higher layer than the importer's."""
    return [i for i in imports if rank(i.target) > rank(i.source)]


def find_cycle(imports: Iterable[Import]) -> list[Import]:
    """The imports of one import cycle among the run-time imports; empty when there is none."""
    edges: dict[tuple[str, str], Import] = {}
    graph: dict[str, set[str]] = {}
    for i in imports:
        if i.type_only or i.source == i.target:
            continue
        edges.setdefault((i.source, i.target), i)
        graph.setdefault(i.source, set()).add(i.target)
    try:
        graphlib.TopologicalSorter(graph).prepare()
    except graphlib.CycleError as error:
        cycle: list[str] = error.args[1]  # [a, b, ..., a]: each imported by the next
        found = [edges[(cycle[k + 1], cycle[k])] for k in range(len(cycle) - 1)]
        return found[::-1]  # each import's target is the next one's importer
    return []


def package_imports(modules: Mapping[str, Path]) -> list[Import]:
    """Every package import of every module."""
    return [
        i
        for name, path in modules.items()
        for i in imports_of(name, path.read_text(), modules, path.name == "__init__.py")
    ]


MODULES = all_modules()
IMPORTS = package_imports(MODULES)


# -- the package as it is ------------------------------------------------------------------------


def test_no_module_in_the_package_root() -> None:
    stray = sorted(p.name for p in ROOT.glob("*.py") if p.name not in ROOT_MODULES)
    assert not stray, f"modules directly in {PACKAGE}/, move each into a layer: {stray}"


def test_every_module_sits_in_a_layer() -> None:
    outside = sorted(m for m in MODULES if m != PACKAGE and layer_of(m) not in LAYERS)
    assert not outside, f"modules outside the layers {LAYERS}: {outside}"
    empty = [layer for layer in LAYERS if f"{PACKAGE}.{layer}" not in MODULES]
    assert not empty, f"layers without a package: {empty}"


def test_imports_are_read() -> None:
    """The reader sees the imports the checks rely on (else every check would pass vacuously)."""
    pairs = {(i.source, i.target, i.type_only) for i in IMPORTS}
    assert (f"{PACKAGE}.sql.compile", f"{PACKAGE}.model.method", False) in pairs
    assert (f"{PACKAGE}.sql.claim_lines", f"{PACKAGE}.engines.expressions", False) in pairs
    assert (f"{PACKAGE}.sql.enrollment", f"{PACKAGE}.sql.compile", True) in pairs
    assert len(IMPORTS) > 100


def test_no_module_imports_a_higher_layer() -> None:
    bad = upward_imports(IMPORTS)
    assert not bad, (
        "imports of a higher layer (order: "
        + " < ".join(LAYERS)
        + "):\n"
        + "\n".join(f"{i} ({layer_of(i.source)} -> {layer_of(i.target)})" for i in bad)
    )


def test_no_import_cycles() -> None:
    cycle = find_cycle(IMPORTS)
    assert not cycle, "import cycle:\n" + "\n".join(map(str, cycle))


def test_the_wheel_ships_every_data_file() -> None:
    """Every file of the package that is not Python matches a package-data glob of
    pyproject.toml (setuptools puts only those into a wheel), and the value sets' CSVs are
    where :mod:`importlib.resources` finds them."""
    pyproject = ROOT.parents[1] / "pyproject.toml"
    if not pyproject.is_file():
        pytest.skip("not run from a source checkout")
    globs = tomllib.loads(pyproject.read_text())["tool"]["setuptools"]["package-data"][PACKAGE]
    data = [
        PurePosixPath(p.relative_to(ROOT).as_posix())
        for p in ROOT.rglob("*")
        if p.is_file() and p.suffix not in {".py", ".pyc"} and "__pycache__" not in p.parts
    ]
    assert len(data) > 1
    unshipped = [
        str(p)
        for p in data
        if not any(p.match(g) and len(p.parts) == len(PurePosixPath(g).parts) for g in globs)
    ]
    assert not unshipped, f"files no package-data glob {globs} ships: {unshipped}"
    found = resources.files(f"{PACKAGE}.model.valuesets").joinpath("data")
    csvs = {
        f"{year.name}/{f.name}" for year in found.iterdir() if year.is_dir() for f in year.iterdir()
    }
    expected = {str(p.relative_to("model/valuesets/data")) for p in data if p.suffix == ".csv"}
    assert csvs == expected


# -- the checks catch what they should -----------------------------------------------------------


def _imports(sources: Mapping[str, str]) -> list[Import]:
    return [i for name, text in sources.items() for i in imports_of(name, text, sources, False)]


def test_an_upward_import_is_reported_even_lazy_or_type_only() -> None:
    sources = {
        f"{PACKAGE}.model.a": "def f():\n    from provider_attribution.sql import b\n",
        f"{PACKAGE}.model.c": (
            "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
            "    from provider_attribution.cli.d import X\n"
        ),
        f"{PACKAGE}.sql.b": "from provider_attribution.model import a\n",
        f"{PACKAGE}.cli.d": "import provider_attribution.sql.b\n",
    }
    bad = upward_imports(_imports(sources))
    assert [(i.source, i.target, i.line, i.type_only) for i in bad] == [
        (f"{PACKAGE}.model.a", f"{PACKAGE}.sql.b", 2, False),
        (f"{PACKAGE}.model.c", f"{PACKAGE}.cli.d", 3, True),
    ]
    assert str(bad[0]) == f"{PACKAGE}.model.a imports {PACKAGE}.sql.b at line 2"


@pytest.mark.parametrize(
    ("b_imports_a", "cycle"),
    [
        ("from provider_attribution.sql.a import f\n", True),
        ("def g():\n    from provider_attribution.sql import a\n", True),
        ("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .a import f\n", False),
    ],
)
def test_a_cycle_is_reported_unless_type_only(b_imports_a: str, cycle: bool) -> None:
    sources = {
        f"{PACKAGE}.sql.a": "from provider_attribution.sql.c import h\n",
        f"{PACKAGE}.sql.b": b_imports_a,
        f"{PACKAGE}.sql.c": "import provider_attribution.sql.b\n",
    }
    found = find_cycle(_imports(sources))
    assert bool(found) is cycle
    if cycle:
        assert {(i.source, i.target) for i in found} == {
            (f"{PACKAGE}.sql.a", f"{PACKAGE}.sql.c"),
            (f"{PACKAGE}.sql.c", f"{PACKAGE}.sql.b"),
            (f"{PACKAGE}.sql.b", f"{PACKAGE}.sql.a"),
        }
