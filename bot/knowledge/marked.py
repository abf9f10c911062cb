"""Parsing YAML text into plain values that remember the line of every mapping key and list item.

Scalars follow YAML 1.2 rather than PyYAML's 1.1: only ``true`` and ``false`` are booleans, and numbers
are plain decimals. Staff write ``no``, ``on``, ``2:1`` (a degree class) or ``0114`` as text far more often
than they mean a boolean, a base-60 number or an octal one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import yaml
from yaml.nodes import MappingNode, ScalarNode, SequenceNode

try:
    from yaml import CSafeLoader as _BaseLoader
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    from yaml import SafeLoader as _BaseLoader  # type: ignore[assignment]

_BOOL_TAG = "tag:yaml.org,2002:bool"
_INT_TAG = "tag:yaml.org,2002:int"
_FLOAT_TAG = "tag:yaml.org,2002:float"
_DIGITS = list("-+0123456789")
_IMPLICIT = (
    (_BOOL_TAG, r"true|True|TRUE|false|False|FALSE", list("tTfF")),
    (_INT_TAG, r"[-+]?(?:0|[1-9][0-9_]*)", _DIGITS),
    (
        _FLOAT_TAG,
        r"[-+]?[0-9][0-9_]*\.[0-9_]*(?:[eE][-+]?[0-9]+)?|[-+]?\.[0-9][0-9_]*(?:[eE][-+]?[0-9]+)?"
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)",
        [*_DIGITS, "."],
    ),
)


class MarkedMap(dict[object, object]):
    """A YAML mapping that knows its own line and the line of each key (1-based)."""

    __slots__ = ("blocks", "line", "lines")

    def __init__(self, line: int) -> None:
        super().__init__()
        self.line = line
        self.lines: dict[object, int] = {}
        self.blocks: set[object] = (
            set()
        )  # keys whose value is a literal block, so lines can be counted inside

    def line_of(self, key: object) -> int:
        """Returns the line of a key, or of the mapping when the key is absent."""
        return self.lines.get(key, self.line)


class MarkedList(list[object]):
    """A YAML list that knows its own line and the line of each item (1-based)."""

    __slots__ = ("line", "lines")

    def __init__(self, line: int) -> None:
        super().__init__()
        self.line = line
        self.lines: list[int] = []

    def line_of(self, index: int) -> int:
        """Returns the line of an item."""
        return self.lines[index]


class NotADate(str):
    """Text written like a date that names no real day (2026-13-02); its error is already reported."""

    __slots__ = ()


@dataclass(frozen=True, slots=True)
class Flaw:
    """Something wrong with the YAML itself, at a 1-based line when known."""

    message: str
    line: int | None


class _Loader(_BaseLoader):
    """A safe loader that builds MarkedMap and MarkedList values and notes duplicate keys."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.flaws: list[Flaw] = []


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag not in (_BOOL_TAG, _INT_TAG, _FLOAT_TAG)]
    for first, resolvers in _BaseLoader.yaml_implicit_resolvers.items()
}
for _tag, _pattern, _first in _IMPLICIT:
    _Loader.add_implicit_resolver(_tag, re.compile(f"^(?:{_pattern})$"), _first)


def _construct_map(loader: _Loader, node: MappingNode) -> MarkedMap:
    loader.flatten_mapping(node)
    result = MarkedMap(node.start_mark.line + 1)
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        line = key_node.start_mark.line + 1
        if isinstance(key, MarkedMap | MarkedList):
            loader.flaws.append(Flaw("a key must be a plain word, not a list or mapping", line))
            continue
        if key in result:
            loader.flaws.append(Flaw(f"{key!r} appears twice in the same mapping", line))
        result[key] = loader.construct_object(value_node, deep=True)
        result.lines[key] = line
        if isinstance(value_node, ScalarNode) and value_node.style == "|":
            result.blocks.add(key)
    return result


def _construct_list(loader: _Loader, node: SequenceNode) -> MarkedList:
    result = MarkedList(node.start_mark.line + 1)
    for item in node.value:
        result.append(loader.construct_object(item, deep=True))
        result.lines.append(item.start_mark.line + 1)
    return result


def _construct_timestamp(loader: _Loader, node: ScalarNode) -> object:
    try:
        return loader.construct_yaml_timestamp(node)
    except ValueError as exc:  # written like a date, but no such day: 2026-13-02
        message = f"{node.value!r} is not a real date ({exc}): write it as YYYY-MM-DD"
        loader.flaws.append(Flaw(message, node.start_mark.line + 1))
        return NotADate(node.value)


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp)
_Loader.add_constructor("tag:yaml.org,2002:map", _construct_map)
_Loader.add_constructor("tag:yaml.org,2002:seq", _construct_list)


def parse(text: str) -> tuple[object, list[Flaw]]:
    """Parses one YAML document; returns its value (None when broken or empty) and what is wrong with it."""
    loader = _Loader(text)
    try:
        data = loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = None if mark is None else mark.line + 1
        detail = "; ".join(part for part in (exc.context, exc.problem) if part)
        return None, [Flaw(f"not valid YAML: {detail or exc}", line)]
    except yaml.YAMLError as exc:
        return None, [Flaw(f"not valid YAML: {exc}", None)]
    except (ValueError, TypeError, ArithmeticError) as exc:  # a value its tag cannot hold: !!int ten
        return None, [Flaw(f"not valid YAML: a value does not fit its type ({exc})", None)]
    finally:
        loader.dispose()
    return data, loader.flaws
