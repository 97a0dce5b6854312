"""Loading scenarios: a built-in name or a YAML file, validated, as `aigrid.model.Scenario`.

Anything wrong with the input raises `ScenarioError` (exit code 2) with one line naming the file,
the line, the place in the document and what was expected:

    sites.yaml:42: sites[3].pools[0].gpu_model: unknown gpu model 'B201': no gpu model of that
    name is defined (defined: B200, H200)
"""

from __future__ import annotations

import difflib
import types
from collections.abc import Sequence
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any, NoReturn, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from aigrid.model import Scenario
from aigrid.scenario.build import build_scenario
from aigrid.scenario.checks import check_scenario
from aigrid.scenario.demand import DemandError, mean_gpu_hours
from aigrid.scenario.errors import Loc, Problem, ScenarioError
from aigrid.scenario.schema import ScenarioSpec
from aigrid.scenario.source import Document, YamlSyntaxError, parse_yaml

_SUFFIXES = (".yaml", ".yml")


def builtin_scenarios() -> list[str]:
    """Names of the scenarios shipped with aigrid, sorted."""
    return sorted(
        entry.name.rsplit(".", 1)[0]
        for entry in _builtin_folder().iterdir()
        if entry.name.endswith(_SUFFIXES) and entry.is_file()
    )


def _builtin_folder() -> Traversable:
    return resources.files("aigrid.scenario").joinpath("builtin")


def load_scenario(name_or_path: str | Path) -> Scenario:
    """The scenario named by a built-in name (`korea-2026`) or a path to a YAML file."""
    source, text = _read(name_or_path)
    return parse_scenario(text, source)


def load_spec(name_or_path: str | Path) -> ScenarioSpec:
    """The validated document of a built-in name or a YAML file, before it becomes a model."""
    source, text = _read(name_or_path)
    return parse_spec(text, source)


def parse_scenario(text: str, source: str = "<scenario>") -> Scenario:
    """The scenario in YAML `text`; `source` names it in error messages."""
    spec, document = _validate(text, source)
    scenario = build_scenario(spec)
    for i, stream in enumerate(scenario.demand):
        try:
            mean_gpu_hours(stream)
        except DemandError as exc:
            # The generator's own checks, should they ever be stricter than the schema's.
            _raise(source, document, [Problem(("demand", i), str(exc))])
    return scenario


def parse_spec(text: str, source: str = "<scenario>") -> ScenarioSpec:
    """The validated document in YAML `text`; raises `ScenarioError` at its first problem."""
    return _validate(text, source)[0]


def _validate(text: str, source: str) -> tuple[ScenarioSpec, Document]:
    try:
        document, problems = parse_yaml(text)
    except YamlSyntaxError as exc:
        raise ScenarioError(source, str(exc), line=exc.line) from None
    if problems:
        _raise(source, document, problems)
    if not isinstance(document.data, dict):
        found = "an empty file" if document.data is None else _describe(document.data)
        raise ScenarioError(
            source,
            f"expected a mapping of scenario keys (name, as_of, gpu_models, sites, ...), "
            f"got {found}",
            line=document.line_of(()),
        )
    try:
        spec = ScenarioSpec.model_validate(document.data)
    except ValidationError as exc:
        _raise(source, document, [_problem(err) for err in exc.errors()])
    problems = check_scenario(spec)
    if problems:
        _raise(source, document, problems)
    return spec, document


def _raise(source: str, document: Document, problems: Sequence[Problem]) -> NoReturn:
    first = problems[0]
    raise ScenarioError(
        source,
        first.message,
        loc=first.loc,
        line=document.line_of(first.loc),
        more=len(problems) - 1,
    ) from None


def _read(name_or_path: str | Path) -> tuple[str, str]:
    """(how to name it in messages, its text) for a built-in name or a file path."""
    text_name = str(name_or_path)
    is_path = isinstance(name_or_path, Path) or text_name.endswith(_SUFFIXES) or "/" in text_name
    path = Path(name_or_path)
    if not is_path and not path.exists():
        builtins = builtin_scenarios()
        if text_name not in builtins:
            raise ScenarioError(
                text_name,
                f"no such file, and no built-in scenario of that name "
                f"(built-ins: {', '.join(builtins)})",
            )
        entry = _builtin_folder().joinpath(f"{text_name}.yaml")
        return f"builtin/{text_name}.yaml", entry.read_text(encoding="utf-8")
    try:
        return text_name, path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError(
            text_name,
            f"no such file (built-in scenarios: {', '.join(builtin_scenarios())})",
        ) from None
    except IsADirectoryError:
        raise ScenarioError(text_name, "is a directory, not a scenario file") from None
    except UnicodeDecodeError as exc:
        raise ScenarioError(text_name, f"is not UTF-8 text ({exc.reason})") from None
    except OSError as exc:
        raise ScenarioError(text_name, f"cannot be read: {exc.strerror}") from None


# --- pydantic's errors, in the words of a scenario file --------------------------------


def _problem(err: ErrorDetails) -> Problem:
    """A pydantic error as a `Problem` located in the document."""
    loc: Loc = tuple(err["loc"])
    kind = err["type"]
    ctx = err.get("ctx", {})
    value = err["input"]
    if loc and loc[-1] == "[key]":
        loc = loc[:-1]
        return Problem(loc, f"invalid key {value!r}: {_expected(kind, ctx, value)}")
    if kind == "missing":
        return Problem(loc, "required key is missing")
    if kind == "extra_forbidden":
        return Problem(loc, _unknown_key(loc))
    return Problem(loc, _expected(kind, ctx, value))


_TYPES = {
    "string_type": "a string",
    "int_type": "a whole number",
    "float_type": "a number",
    "bool_type": "true or false",
    "dict_type": "a mapping (key: value)",
    "model_type": "a mapping (key: value)",
    "model_attributes_type": "a mapping (key: value)",
    "list_type": "a list",
    "tuple_type": "a list",
}


def _expected(kind: str, ctx: dict[str, Any], value: Any) -> str:
    got = _describe(value)
    if kind in _TYPES:
        return f"expected {_TYPES[kind]}, got {got}"
    if kind == "value_error":
        return str(ctx.get("error", "invalid value"))
    bounds = {
        "greater_than": ">",
        "greater_than_equal": ">=",
        "less_than": "<",
        "less_than_equal": "<=",
    }
    if kind in bounds:
        limit = next(iter(ctx.values()), "?")
        shown = f"{limit:g}" if isinstance(limit, int | float) else str(limit)
        return f"expected a number {bounds[kind]} {shown}, got {got}"
    if kind in ("enum", "literal_error"):
        return f"expected one of {ctx.get('expected', '?')}, got {got}"
    if kind == "union_tag_invalid":
        key = str(ctx.get("discriminator", "kind")).strip("'")
        return f"unknown {key} {ctx.get('tag')!r}: expected one of {ctx.get('expected_tags')}"
    if kind == "union_tag_not_found":
        return f"required key {ctx.get('discriminator', 'kind')} is missing"
    if kind == "string_pattern_mismatch":
        return (
            "expected an id of letters, digits, '_', '-' or '+', starting with a letter or "
            f"digit, got {got}"
        )
    if kind == "too_short":
        return f"expected at least {ctx.get('min_length')} item(s), got {ctx.get('actual_length')}"
    if kind == "too_long":
        return f"expected at most {ctx.get('max_length')} items, got {ctx.get('actual_length')}"
    if kind == "finite_number":
        return f"expected a finite number, got {got}"
    return f"invalid value {got}"


def _describe(value: Any) -> str:
    """A short description of a value as a YAML user would name it."""
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return f"the string {shown!r}"
    if isinstance(value, int | float):
        shown = repr(value)
        return shown if len(shown) <= 24 else f"{shown[:10]}...({len(shown)} digits)"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list | tuple):
        return "a list"
    return f"a {type(value).__name__}"


def _unknown_key(loc: Loc) -> str:
    """What is wrong with an unknown key, with the keys allowed there."""
    key = str(loc[-1])
    allowed = _fields_at(ScenarioSpec, loc[:-1])
    if not allowed:
        return f"unknown key {key!r}"
    near = difflib.get_close_matches(key, allowed, n=1)
    hint = f"did you mean {near[0]!r}? " if near else ""
    return f"unknown key {key!r}; {hint}expected one of: {', '.join(allowed)}"


def _fields_at(root: type[BaseModel], loc: Loc) -> list[str]:
    """The keys the schema allows in the mapping at `loc`."""
    tp: Any = root
    for part in loc:
        tp = _unwrap(tp)
        if isinstance(tp, type) and issubclass(tp, BaseModel) and isinstance(part, str):
            field = tp.model_fields.get(part)
            if field is None:
                return []
            tp = field.annotation
        elif get_origin(tp) in (list, tuple):
            tp = get_args(tp)[0]
        elif get_origin(tp) is dict:
            tp = get_args(tp)[1]
        else:
            return []
    tp = _unwrap(tp)
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return list(tp.model_fields)
    return []


def _unwrap(tp: Any) -> Any:
    """`X` from `Annotated[X, ...]` and from `X | None`."""
    while True:
        if hasattr(tp, "__metadata__"):
            tp = get_args(tp)[0]
        elif get_origin(tp) in (Union, types.UnionType):
            args = [a for a in get_args(tp) if a is not type(None)]
            if len(args) != 1:
                return tp
            tp = args[0]
        else:
            return tp
