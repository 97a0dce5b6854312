"""Reading a scenario file's YAML while keeping where each value came from.

The document is composed into YAML nodes first (they carry line numbers), checked for duplicate
keys (plain YAML silently keeps the last), then constructed into Python values. `line_of(loc)`
walks the nodes to give the line of any place in the document.

Numbers follow YAML 1.2 as well as 1.1: `1.46e12` and `1e9` are floats (plain PyYAML reads them
as strings because they lack a dot or an exponent sign).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import yaml

from aigrid.scenario.errors import Loc, Problem

_MERGE_TAG = "tag:yaml.org,2002:merge"


class _Loader(yaml.SafeLoader):
    """The safe loader, with YAML 1.2 floats."""


_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:[0-9][0-9_]*)(?:\.[0-9_]*)?[eE][-+]?[0-9]+$"),
    list("-+0123456789"),
)


class YamlSyntaxError(Exception):
    """Text that is not YAML, with the line (1-based) where the parser gave up."""

    def __init__(self, message: str, line: int | None) -> None:
        super().__init__(message)
        self.line = line


@dataclass(frozen=True, slots=True)
class Document:
    """A parsed YAML document: its Python value and the node tree it was built from."""

    data: Any
    root: yaml.Node | None

    def line_of(self, loc: Sequence[str | int]) -> int | None:
        """The 1-based line of the value at `loc`, or of the nearest enclosing value that exists
        (a missing key is reported at its mapping)."""
        node = self.root
        if node is None:
            return None
        line = node.start_mark.line + 1
        for part in loc:
            child = _child(node, part)
            if child is None:
                break
            key, node = child
            line = (key or node).start_mark.line + 1
        return line


def _child(node: yaml.Node, part: str | int) -> tuple[yaml.Node | None, yaml.Node] | None:
    """The (key node, value node) under `node` at `part`, or None."""
    if isinstance(node, yaml.MappingNode):
        # Constructing the document merged `<<` keys in place; later pairs win, as in the data.
        for key, value in reversed(node.value):
            if isinstance(key, yaml.ScalarNode) and key.value == str(part):
                return key, value
        return None
    if (
        isinstance(node, yaml.SequenceNode)
        and isinstance(part, int)
        and 0 <= part < len(node.value)
    ):
        item: yaml.Node = node.value[part]
        return None, item
    return None


def parse_yaml(text: str) -> tuple[Document, list[Problem]]:
    """Parse `text` into a `Document`, with the duplicate keys found as problems.

    Raises `YamlSyntaxError` for text that is not one YAML document.
    """
    loader = _Loader(text)
    try:
        root = loader.get_single_node()
        problems = _duplicate_keys(root, ()) if root is not None else []
        data = loader.construct_document(root) if root is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = None if mark is None else mark.line + 1
        raise YamlSyntaxError(_describe(exc), line) from None
    except yaml.YAMLError as exc:
        raise YamlSyntaxError(" ".join(str(exc).split()), None) from None
    except RecursionError:
        raise YamlSyntaxError("invalid YAML: nested too deeply", None) from None
    finally:
        loader.dispose()
    return Document(data, root), problems


def _describe(exc: yaml.MarkedYAMLError) -> str:
    """One line from PyYAML's several: what the parser found, and in what."""
    parts = [p for p in (exc.context, exc.problem) if p]
    if exc.problem_mark is not None:
        parts.append(f"(column {exc.problem_mark.column + 1})")
    return "invalid YAML: " + " ".join(" ".join(parts).split())


def _duplicate_keys(root: yaml.Node, loc: Loc) -> list[Problem]:
    """Every key that appears twice in one mapping (YAML would keep the last silently)."""
    problems: list[Problem] = []
    seen: set[int] = set()

    def walk(node: yaml.Node, at: Loc) -> None:
        if id(node) in seen:
            return
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            first: dict[str, int] = {}
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode) and key.tag != _MERGE_TAG:
                    line = key.start_mark.line + 1
                    if key.value in first:
                        problems.append(
                            Problem(
                                (*at, key.value),
                                f"duplicate key {key.value!r} "
                                f"(first at line {first[key.value]}, again at line {line})",
                            )
                        )
                    else:
                        first[key.value] = line
                    walk(value, (*at, key.value))
                else:
                    walk(value, at)
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                walk(item, (*at, i))

    walk(root, loc)
    return problems
