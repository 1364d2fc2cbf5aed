"""Static policy: what an answer cell may not use, checked with `ast` before it runs."""

from __future__ import annotations

import ast

COURSE_PACKAGES = frozenset({"helpers", "instructor"})
FORBIDDEN_NAMES = frozenset({
    "__import__", "importlib", "exec", "eval", "compile", "open", "globals", "vars", "locals",
    "sys", "os", "subprocess", "ctypes", "builtins", "__builtins__", "breakpoint",
})  # fmt: skip
# Attributes that reach files, other modules or the grader's frames.
FORBIDDEN_ATTRIBUTES = frozenset({
    "__globals__", "__builtins__", "__subclasses__", "__code__", "__closure__", "__file__",
    "__loader__", "__spec__", "__traceback__", "tb_frame", "f_back", "f_globals", "f_locals",
    "gi_frame", "loadtxt", "genfromtxt", "fromfile", "tofile", "savetxt", "savez", "memmap",
    "fromregex", "DataSource", "read_file", "write_file", "gfile", "get_file", "load", "save",
})  # fmt: skip
_FORBIDDEN_TEXT = FORBIDDEN_ATTRIBUTES | FORBIDDEN_NAMES | COURSE_PACKAGES
WHY_OWN = "this exercise asks for your own code; your answer reaches into the course package"
WHY_ALONE = "answers are graded on their own: no files, processes or Python internals"


def violation(source: str, modules: frozenset[str]) -> str | None:
    """Why an answer breaks the policy (a plain message), or None when it does not."""
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        return f"your answer cell is not valid Python (line {exc.lineno}: {exc.msg})"
    for node in ast.walk(tree):
        if message := _node_violation(node, modules):
            return message
    return None


def _node_violation(node: ast.AST, modules: frozenset[str]) -> str | None:
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module]
        for name in names:
            top = (name or "").split(".")[0]
            if top in COURSE_PACKAGES:
                return f"`import {name}` is not allowed: {WHY_OWN} (`{top}`)"
            if top not in modules:
                allowed = ", ".join(sorted(modules))
                return f"`import {name}` is not allowed: this exercise may import only {allowed}"
    elif isinstance(node, ast.Name) and node.id in COURSE_PACKAGES:
        return f"`{node.id}` is not allowed: {WHY_OWN}"
    elif isinstance(node, ast.Name) and node.id in FORBIDDEN_NAMES:
        return f"`{node.id}` is not allowed in an answer: {WHY_ALONE}"
    elif isinstance(node, ast.Attribute) and node.attr in FORBIDDEN_ATTRIBUTES:
        return f"`.{node.attr}` is not allowed in an answer: {WHY_ALONE}"
    elif isinstance(node, ast.Constant) and node.value in _FORBIDDEN_TEXT:
        return f"the text {node.value!r} is not allowed in an answer: {WHY_ALONE}"
    return None
