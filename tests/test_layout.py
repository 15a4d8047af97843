"""The package's import graph has no cycle.

Built from every import statement in `tinybert_tf/` (module level and inside functions
alike, so a cycle cannot hide in a lazy import). `from pkg import name` points at the
submodule `pkg.name` when there is one, else at `pkg` itself. The implicit import of a
module's parent packages is not an edge: it is Python's mechanism, not a dependency.
Run this file directly to print the graph, the largest modules and the longest functions.
Library code logs (`logging`) instead of printing: only the CLI and the LiteRT protocol's
subprocess (whose stdout is its answer) print.
"""

import ast
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PACKAGE = "tinybert_tf"


def modules():
    """{dotted name: path} of every module in the package."""
    found = {}
    for directory, _, files in os.walk(os.path.join(ROOT, PACKAGE)):
        for name in files:
            if name.endswith(".py"):
                path = os.path.join(directory, name)
                parts = os.path.relpath(path, ROOT)[:-3].split(os.sep)
                if parts[-1] == "__init__":
                    parts = parts[:-1]
                found[".".join(parts)] = path
    return found


def import_graph():
    """{module: sorted list of package modules it imports}."""
    known = modules()
    graph = {}
    for module, path in known.items():
        is_package = path.endswith("__init__.py")
        with open(path, encoding="utf-8") as f:
            tree = ast.parse(f.read(), path)
        targets = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                targets.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = module.split(".") if is_package else module.split(".")[:-1]
                    anchor = anchor[:len(anchor) - (node.level - 1)]
                    base = ".".join(anchor + ([base] if base else []))
                for alias in node.names:
                    submodule = f"{base}.{alias.name}"
                    targets.add(submodule if submodule in known else base)
        graph[module] = sorted(t for t in targets if t in known and t != module)
    return graph


def find_cycle(graph):
    """One import cycle as a list of modules (first == last), or None."""
    state, stack = {}, []

    def visit(node):
        state[node] = "open"
        stack.append(node)
        for nxt in graph.get(node, []):
            if state.get(nxt) == "open":
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state:
                cycle = visit(nxt)
                if cycle:
                    return cycle
        stack.pop()
        state[node] = "done"
        return None

    for node in sorted(graph):
        if node not in state:
            cycle = visit(node)
            if cycle:
                return cycle
    return None


def test_import_graph_has_no_cycle():
    graph = import_graph()
    assert len(graph) > 30 and graph["tinybert_tf.distill"], "the graph builder found too little"
    cycle = find_cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def test_cycle_finder_finds_a_planted_cycle():
    graph = import_graph()
    graph["tinybert_tf.pruning.magnitude"] = graph["tinybert_tf.pruning.magnitude"] + ["tinybert_tf.distill"]
    cycle = find_cycle(graph)
    assert cycle and "tinybert_tf.pruning.magnitude" in cycle and "tinybert_tf.distill" in cycle


def test_layering():
    graph = import_graph()
    # The Distiller needs only the tfmot primitives; only the prune stage runs distillation.
    assert "tinybert_tf.pruning.pipeline" not in graph["tinybert_tf.distiller"]
    importers_of_distill = {m for m, targets in graph.items() if "tinybert_tf.distill" in targets}
    assert importers_of_distill <= {"tinybert_tf.pruning.pipeline", "tinybert_tf.recipe", "tinybert_tf.cli"}
    # Model location is below both checkpoint and tokenizer.
    assert "tinybert_tf.checkpoint" not in graph["tinybert_tf.tokenizer"]
    assert "tinybert_tf.hub" in graph["tinybert_tf.tokenizer"]
    # The teacher stage is not the shared training module.
    assert not {m for m, targets in graph.items() if "tinybert_tf.teacher" in targets} - {
        "tinybert_tf.cli", "tinybert_tf.recipe"}


# The modules that may print: the CLI, and the TensorFlow-free timing subprocess's reply.
PRINTS_ALLOWED = {"tinybert_tf.cli", "tinybert_tf.litert_protocol"}


def print_calls():
    """{module: number of print() calls} in the package."""
    found = {}
    for module, path in modules().items():
        with open(path, encoding="utf-8") as f:
            tree = ast.parse(f.read(), path)
        n = sum(1 for node in ast.walk(tree) if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                and node.func.id == "print")
        if n:
            found[module] = n
    return found


def test_library_code_logs_instead_of_printing():
    assert set(print_calls()) <= PRINTS_ALLOWED, print_calls()


def longest_functions(n=10):
    """(lines, module:function) of the `n` longest functions in the package."""
    found = []
    for module, path in modules().items():
        with open(path, encoding="utf-8") as f:
            tree = ast.parse(f.read(), path)
        found += [(node.end_lineno - node.lineno + 1, f"{module}:{node.name}") for node in ast.walk(tree)
                  if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))]
    return sorted(found, reverse=True)[:n]


if __name__ == "__main__":
    graph = import_graph()
    for module in sorted(graph):
        print(f"{module} -> {', '.join(t.replace(PACKAGE + '.', '') for t in graph[module]) or '-'}")
    cycle = find_cycle(graph)
    print("cycle: " + " -> ".join(cycle) if cycle else "no cycle")
    sizes = sorted(((sum(1 for _ in open(p, encoding="utf-8")), m) for m, p in modules().items()), reverse=True)
    print("largest modules: " + ", ".join(f"{m} {n}" for n, m in sizes[:8]))
    print("longest functions: " + ", ".join(f"{name} {n}" for n, name in longest_functions()))
    print("print() calls: " + (", ".join(f"{m} {n}" for m, n in sorted(print_calls().items())) or "none"))
    sys.exit(1 if cycle else 0)
