"""What goes wrong with a scenario file, said in one line: file, line, place, what was expected."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from aigrid.errors import UsageError

Loc = tuple[str | int, ...]
"""A place in a scenario document: keys and list indices from the top, e.g.
`("sites", 3, "pools", 0, "gpu_model")`."""


def format_loc(loc: Sequence[str | int]) -> str:
    """`sites[3].pools[0].gpu_model` for `("sites", 3, "pools", 0, "gpu_model")`.

    A key that is not a plain word (it holds a dot, a space or a bracket) is quoted.
    """
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part.replace("_", "").replace("-", "").isalnum():
            out += f".{part}" if out else part
        else:
            out += f"[{part!r}]"
    return out


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong in a document, at `loc`, said as what was expected and what was found."""

    loc: Loc
    message: str


class ScenarioError(UsageError):
    """A scenario that cannot be loaded: a missing file, bad YAML or an invalid document.

    The message is one line, `FILE:LINE: PLACE: what was expected`, and the parts are kept as
    attributes (`source`, `line`, `loc`, `detail`) for callers that format their own.
    """

    def __init__(
        self,
        source: str,
        detail: str,
        *,
        loc: Loc = (),
        line: int | None = None,
        more: int = 0,
    ) -> None:
        self.source = source
        self.detail = " ".join(detail.split())
        self.loc = loc
        self.line = line
        self.more = more
        where = source if line is None else f"{source}:{line}"
        place = f"{format_loc(loc)}: " if loc else ""
        tail = ""
        if more == 1:
            tail = " (and 1 more problem)"
        elif more > 1:
            tail = f" (and {more} more problems)"
        super().__init__(f"{where}: {place}{self.detail}{tail}")
