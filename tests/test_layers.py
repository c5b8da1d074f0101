"""The rooms of the code and the one direction of their imports (docs/ARCHITECTURE.md).

    zoom  <-  tenants  <-  records  <-  users  <-  meetings  <-  sync  <-  webhooks
                                                                  ^
              admin.py, tasks.py, management commands, the project (settings, urls, checks)

A module imports its own room and the rooms to its left, never one to its right; the sandbox
(the fake Zoom) imports only itself. Imports sit at the top of a module:
one hidden inside a function or below the code, to dodge a cycle, says a piece of code lives
in the wrong room. ``AppConfig.ready`` is the exception Django asks for, and so is a
``TYPE_CHECKING`` block.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("zoomadmin", "users", "meetings", "webhooks")

# Rooms from the bottom up; a module may import its own room and the ones below it.
RANKS = {
    "zoomadmin.zoom": 0,
    "zoomadmin.tenants": 1,
    "zoomadmin.records": 2,
    # Bulk jobs know no record kind: users and meetings declare their operations to them.
    "zoomadmin.jobs": 2,
    "users": 3,
    "meetings": 4,
    "zoomadmin.sync": 5,
    "webhooks": 6,
}
TOP = 10  # admin, tasks, commands and the project itself may import anything
SANDBOX = "zoomadmin.sandbox"


def project_modules() -> dict[str, Path]:
    modules = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            modules[name.removesuffix(".__init__")] = path
    return modules


MODULES = project_modules()


def room(module: str) -> str:
    for prefix in sorted(RANKS, key=len, reverse=True):
        if module == prefix or module.startswith(prefix + "."):
            return prefix
    return "zoomadmin"


def rank(module: str) -> int:
    leaf = module.rsplit(".", 1)[-1]
    if leaf in {"admin", "tasks", "apps"} or ".management." in module:
        return TOP
    return RANKS.get(room(module), TOP)


def imported(node: ast.AST, module: str) -> list[str]:
    """Project modules named by an import statement."""
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    elif isinstance(node, ast.ImportFrom):
        if node.level:
            # Relative to the module's package (a package's __init__ is its own package).
            is_package = MODULES[module].name == "__init__.py"
            base = module if is_package and node.level == 1 else module.rsplit(".", node.level)[0]
            prefix = f"{base}.{node.module}" if node.module else base
        else:
            prefix = node.module or ""
        submodules = [f"{prefix}.{alias.name}" for alias in node.names]
        # "from . import records" imports the submodule; "from x.models import Tenant", x.models.
        names = [name for name in submodules if name in MODULES] or [prefix]
    else:
        return []
    return sorted(name for name in names if name.split(".")[0] in PACKAGES)


def top_level_imports(tree: ast.Module) -> tuple[list[ast.AST], list[ast.AST]]:
    """(imports at the top, imports hidden below code or inside functions)."""
    top, hidden, code_started = [], [], False
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            (hidden if code_started else top).append(node)
        elif isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            continue
        elif isinstance(node, (ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef)):
            code_started = True
            for inner in ast.walk(node):
                if isinstance(inner, (ast.Import, ast.ImportFrom)):
                    hidden.append(inner)
    return top, hidden


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_point_down_the_rooms(module):
    tree = ast.parse(MODULES[module].read_text())
    top, hidden = top_level_imports(tree)
    wrong = []
    for node in top + hidden:
        for target in imported(node, module):
            if module.startswith(SANDBOX):
                if not target.startswith(SANDBOX):
                    wrong.append(target)
            elif rank(target) > rank(module) and room(target) != room(module):
                wrong.append(target)
    assert not wrong, f"{module} imports up the rooms: {wrong}"


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_import_hides_inside_a_function_or_below_the_code(module):
    if module.endswith(".apps") or module == "zoomadmin.settings":
        pytest.skip("AppConfig.ready imports by design; settings import lazily on error")
    tree = ast.parse(MODULES[module].read_text())
    _, hidden = top_level_imports(tree)
    project = [ast.unparse(node) for node in hidden if imported(node, module)]
    assert not project, f"{module} hides imports: {project}"


def test_no_import_cycle_between_modules():
    graph = {}
    for module, path in MODULES.items():
        top, _ = top_level_imports(ast.parse(path.read_text()))
        graph[module] = {t for node in top for t in imported(node, module) if t != module}

    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for target in sorted(graph.get(node, ())):
            if target not in MODULES:
                continue
            if state.get(target) == 1:
                cycle = stack[stack.index(target) :] + [target]
                raise AssertionError(f"import cycle: {' -> '.join(cycle)}")
            if target not in state:
                visit(target)
        stack.pop()
        state[node] = 2

    for module in sorted(MODULES):
        if module not in state:
            visit(module)
