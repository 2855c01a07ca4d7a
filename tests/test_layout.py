"""The package's shape: imports flow one way, the public surface is what it says, errors share one root."""

from __future__ import annotations

import ast
import importlib
import inspect
import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import newsletter
from newsletter.errors import NewsletterError

PACKAGE = Path(newsletter.__file__).parent
PACKAGES = [
    "newsletter",
    "newsletter.store",
    "newsletter.config",
    "newsletter.cli",
    "newsletter.feeds",
    "newsletter.sort",
    "newsletter.write",
    "newsletter.preview",
]


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def imports(tree: ast.AST) -> list[ast.Import | ast.ImportFrom]:
    """Every import statement, at any depth (inside functions too), except under `if TYPE_CHECKING:`."""
    found: list[ast.Import | ast.ImportFrom] = []

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and is_type_checking(node.test):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            found.append(node)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def import_graph() -> dict[str, set[str]]:
    """Module -> the package modules it imports; importing a module also runs its parent packages."""
    graph: dict[str, set[str]] = {}
    for name, path in MODULES.items():
        is_pkg = path.name == "__init__.py"
        edges: set[str] = set()
        for node in imports(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                if node.level:
                    base = name.split(".") if is_pkg else name.split(".")[:-1]
                    base = base[: len(base) - (node.level - 1)]
                    module = ".".join([*base, *([node.module] if node.module else [])])
                else:
                    module = node.module or ""
                targets = [module, *(f"{module}.{alias.name}" for alias in node.names)]
            for target in targets:
                while target and target not in MODULES:
                    target = target.rpartition(".")[0]
                if target and target != name:
                    edges.add(target)
        parent = name.rpartition(".")[0]
        if parent:
            edges.add(parent)
        graph[name] = edges
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_no_import_cycles_counting_imports_inside_functions() -> None:
    graph = import_graph()
    assert "newsletter.cli" in graph["newsletter.__main__"]
    assert "newsletter.app" in graph["newsletter.cli.options"]  # imported inside a function: still an edge
    cycle = find_cycle(graph)
    assert cycle is None, " -> ".join(cycle or [])


def test_the_cycle_finder_finds_one() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert find_cycle(graph) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_stages_do_not_import_the_front_door() -> None:
    """feeds, sort, write and preview never reach up to app.py or cli.py (preview gets the app handed in)."""
    graph = import_graph()
    for name, edges in graph.items():
        if name.split(".")[1:2] and name.split(".")[1] in ("feeds", "sort", "write", "preview"):
            assert not {
                e for e in edges if e == "newsletter.app" or e.split(".")[:2] == ["newsletter", "cli"]
            }, name


def test_at_most_ten_modules_at_the_top() -> None:
    top = [p.name for p in PACKAGE.glob("*.py")]
    assert len(top) <= 10, sorted(top)


def test_every_exception_is_a_newsletter_error() -> None:
    found = []
    for info in pkgutil.walk_packages(newsletter.__path__, "newsletter."):
        module = importlib.import_module(info.name)
        for _, obj in inspect.getmembers(module, inspect.isclass):
            if obj.__module__ == module.__name__ and issubclass(obj, BaseException):
                found.append(obj)
                assert issubclass(obj, NewsletterError), f"{obj.__module__}.{obj.__name__}"
    assert len(found) >= 15


def type_checking_names(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.If) and is_type_checking(node.test):
            for stmt in node.body:
                if isinstance(stmt, ast.ImportFrom):
                    names.update(alias.asname or alias.name for alias in stmt.names)
    return names


@pytest.mark.parametrize("package", PACKAGES)
def test_public_names_resolve_and_match_what_type_checkers_see(package: str) -> None:
    module = importlib.import_module(package)
    public = set(module.__all__) - {"__version__"}
    assert public, f"{package} exports nothing"
    assert type_checking_names(MODULES[package]) == public
    for name in sorted(public):
        assert getattr(module, name) is not None, name
    assert set(dir(module)) >= public
    with pytest.raises(AttributeError, match="no attribute 'nonesuch'"):
        module.nonesuch  # noqa: B018


def test_import_and_help_do_not_load_the_stages() -> None:
    script = (
        "import contextlib, io, json, sys\n"
        "import newsletter\n"
        "assert newsletter.Week and newsletter.NewsletterError\n"
        "from newsletter.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):\n"
        "    main(['--help'])\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    loaded = set(json.loads(proc.stdout))
    assert "newsletter.cli" in loaded and "click" in loaded
    for heavy in (
        "newsletter.app",
        "newsletter.feeds.fetch",
        "newsletter.sort.classify",
        "newsletter.write.render",
    ):
        assert heavy not in loaded, heavy
    for library in ("httpx", "feedparser", "jinja2", "markdown", "nh3", "tomlkit", "zoneinfo"):
        assert library not in loaded, library
    assert "newsletter.serialize" not in loaded and "newsletter.feeds.sources" not in loaded


def _modules_loaded(tmp_path: Path, args: list[str], stdin: str = "") -> set[str]:
    """The modules a fresh process has loaded once `newsletter ARGS` ran in a new workspace."""
    from newsletter import Workspace

    Workspace.init(tmp_path / "ws")
    script = (
        "import contextlib, io, json, sys\n"
        "from newsletter.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):\n"
        f"    main(['--workspace', {str(tmp_path / 'ws')!r}, *{args!r}])\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", script], input=stdin, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    return set(json.loads(proc.stdout))


def test_classify_loads_the_classifier_and_not_the_sorting_of_a_week(tmp_path: Path) -> None:
    """`newsletter classify` starts anew on every call of a script: sorting a week is no part of it."""
    loaded = _modules_loaded(tmp_path, ["classify"], '{"title": "TSMC"}\n')
    assert {"newsletter.app", "newsletter.sort.classify"} <= loaded  # it did run
    for module in ("newsletter.sort.pipeline", "newsletter.sort.clustering", "newsletter.sort.facts"):
        assert module not in loaded, module


def test_items_loads_what_it_uses_and_no_fetching_or_writing(tmp_path: Path) -> None:
    """`newsletter items` reads the store and sorts: no HTTP client, feed parser, templates or email."""
    loaded = _modules_loaded(tmp_path, ["items", "--all"])
    assert {"newsletter.app", "newsletter.store", "newsletter.sort.clustering"} <= loaded  # it did run
    for module in ("newsletter.feeds.fetch", "newsletter.feeds.parse", "newsletter.write.render"):
        assert module not in loaded, module
    for library in ("httpx", "feedparser", "jinja2", "markdown", "nh3", "tomlkit", "rich", "smtplib"):
        assert library not in loaded, library
