"""The layers, read from the code's own imports: the core (``kpis.core``) and the models
never import the reporting layer (``kpis.reporting``), nothing that serves imports the
developer tools (``kpis.dev``), and no module imports itself round a cycle (imports
inside functions count)."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("bnf", "kpis", "projects", "subsidies")
REPORTING = "kpis.reporting"
CORE = "kpis.core"
DEV = "kpis.dev"


def _in(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def _modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found[".".join(parts)] = path
    return found


def import_graph() -> dict[str, set[str]]:
    modules = _modules()
    graph = {name: set() for name in modules}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            targets = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*anchor, *([base] if base else [])])
                # ``from kpis import closing`` imports a module; ``from kpis.models
                # import Target`` a name of one.
                submodules = [f"{base}.{alias.name}" for alias in node.names]
                targets = [t for t in submodules if t in modules] or [base]
            graph[name].update(t for t in targets if t in modules and t != name)
    return graph


def _model_modules(graph):
    return [
        name
        for name in graph
        if name.startswith("kpis.models") or name in ("projects.models", "subsidies.models")
    ]


def test_the_models_never_import_the_reporting_layer():
    graph = import_graph()
    offending = {
        (module, target)
        for module in _model_modules(graph)
        for target in graph[module]
        if _in(target, REPORTING)
    }
    assert offending == set()


def test_the_core_never_imports_the_reporting_layer():
    graph = import_graph()
    core = [name for name in graph if _in(name, CORE)]
    assert len(core) > 10  # the package is there and read
    offending = {(m, t) for m in core for t in graph[m] if _in(t, REPORTING)}
    assert offending == set()


def test_the_registration_apps_build_on_the_core_not_on_reporting():
    graph = import_graph()
    used = {t for m in graph if m.startswith(("projects", "subsidies")) for t in graph[m]}
    assert {t for t in used if _in(t, REPORTING)} == set()
    assert {"kpis.core.registration", "kpis.core.admin", "kpis.core.resources"} <= used


def test_nothing_that_serves_imports_the_developer_tools():
    graph = import_graph()
    offending = {(m, t) for m in graph if not _in(m, DEV) for t in graph[m] if _in(t, DEV)}
    assert offending == set()


def cycles(graph) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_there_is_no_import_cycle():
    assert cycles(import_graph()) == []


def test_the_cycle_finder_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
