"""The twin's hot path, compiled to C with mypyc, and the guard that never runs it stale.

The scheduler, the model, the twin's world and the meters are plain typed Python, and stay the
one source of truth: the live service and the twin import the same modules. `build()` compiles
those modules (`sources()`) with mypyc into C extensions that sit beside the sources and that
Python prefers to them on import; the decisions do not change, only the speed (about twice as
fast on a national run). Python loads an extension even when its source has changed since, so
`build()` writes a stamp, the digest of the sources it compiled, and `activate()` (run when
`aigrid` is first imported) loads the sources instead whenever the stamp does not match them,
when `AIGRID_PURE=1` is set, or when there is no build at all; the command line then says so
(`STALE_NOTE`). Nothing else is needed to run aigrid: without a C compiler it is the same
program, slower.

    aigrid compile            # compile (what scripts/bootstrap.sh runs)
    aigrid compile --status   # compiled, stale, absent or disabled
    aigrid compile --clean    # remove the build
"""

from __future__ import annotations

import hashlib
import importlib.abc
import importlib.machinery
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType
from typing import Final, Literal

PACKAGE: Final = Path(__file__).resolve().parent
SOURCE_ROOT: Final = PACKAGE.parent
STAMP: Final = PACKAGE / "compiled.stamp"
PURE_ENV: Final = "AIGRID_PURE"

# Packages compiled whole, and the modules left out of them: the fragmentation experiment is
# numpy arrays throughout (nothing to gain); it copies its state by reflection over slots, and
# sends its inputs to worker processes by pickle, which compiled frozen classes do not survive.
_PACKAGES: Final = ("scheduler", "twin", "model", "energy", "ledger")
_LEFT_OUT: Final = frozenset({"aigrid.scheduler.fragmentation", "aigrid.twin.fragmentation"})

Status = Literal["compiled", "stale", "absent", "disabled"]


def _module_name(path: Path) -> str:
    parts = path.relative_to(SOURCE_ROOT).with_suffix("").parts
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def sources() -> dict[str, Path]:
    """Module name -> source file, for every module that `build()` compiles."""
    found: dict[str, Path] = {}
    for package in _PACKAGES:
        for path in sorted((PACKAGE / package).glob("*.py")):
            name = _module_name(path)
            if name not in _LEFT_OUT:
                found[name] = path
    return found


def digest() -> str:
    """What a build must have been made from to be loaded: the compiled sources, byte for
    byte, and the interpreter."""
    h = hashlib.sha256(sys.implementation.cache_tag.encode())
    for name, path in sources().items():
        h.update(name.encode())
        h.update(path.read_bytes())
    return h.hexdigest()


def _extensions() -> list[Path]:
    """The build's files: an extension per module, and mypyc's shared runtime beside the
    package."""
    suffixes = tuple(importlib.machinery.EXTENSION_SUFFIXES)
    found = [p for p in SOURCE_ROOT.glob("*__mypyc*") if p.name.endswith(suffixes)]
    for package in _PACKAGES:
        found += [p for p in (PACKAGE / package).iterdir() if p.name.endswith(suffixes)]
    return found


def status() -> Status:
    """Whether imports of `aigrid` load the build (`compiled`), or the sources because the
    build is out of date (`stale`), missing (`absent`) or turned off by `AIGRID_PURE=1`."""
    if os.environ.get(PURE_ENV, "") not in ("", "0"):
        return "disabled"
    return _build_state()


def up_to_date() -> bool:
    """Whether there is a build and it was made from the sources as they are now."""
    return _build_state() == "compiled"


def _build_state() -> Status:
    if not STAMP.exists() or not _extensions():
        return "absent"
    return "compiled" if STAMP.read_text().strip() == digest() else "stale"


class _SourceFinder(importlib.abc.MetaPathFinder):
    """Loads the compiled modules from their `.py` files, ahead of the extensions beside
    them."""

    def __init__(self, modules: dict[str, Path]) -> None:
        self.modules = modules

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        source = self.modules.get(fullname)
        if source is None:
            return None
        locations = [str(source.parent)] if source.name == "__init__.py" else None
        return importlib.util.spec_from_file_location(
            fullname, source, submodule_search_locations=locations
        )


def activate() -> Status:
    """Make imports load the build if it matches the sources, else the sources. Run once,
    when `aigrid` is imported; the command line says when a stale build is passed over."""
    state = status()
    use_sources = state != "compiled" and (state != "absent" or bool(_extensions()))
    if use_sources and not any(isinstance(f, _SourceFinder) for f in sys.meta_path):
        sys.meta_path.insert(0, _SourceFinder(sources()))
    return state


STALE_NOTE: Final = (
    "the compiled modules are older than their sources, so the sources run (slower);"
    " rebuild with: aigrid compile"
)


def is_compiled(module: ModuleType) -> bool:
    """Whether `module` was loaded from the build."""
    return (module.__file__ or "").endswith(tuple(importlib.machinery.EXTENSION_SUFFIXES))


def clean() -> None:
    """Remove the build; imports load the sources from then on."""
    for path in _extensions():
        path.unlink()
    STAMP.unlink(missing_ok=True)


def build(*, force: bool = False) -> bool:
    """Compile `sources()` with mypyc, in place; nothing to do if the build is up to date.
    Returns whether it compiled. Raises `RuntimeError` with mypyc's output if it fails (the
    old build is removed first, so a failed build leaves the sources in use)."""
    if not force and up_to_date():
        return False
    wanted = digest()
    clean()
    with tempfile.TemporaryDirectory(prefix="aigrid-mypyc-") as work:
        # mypyc writes its C files and the extensions under the working directory; run it
        # from the source root (whose module paths it needs) but keep its clutter elsewhere.
        names = [str(p.relative_to(SOURCE_ROOT)) for p in sources().values()]
        cmd = [sys.executable, "-m", "mypyc", *names]
        env = {**os.environ, "MYPYC_OPT_LEVEL": os.environ.get("MYPYC_OPT_LEVEL", "3")}
        env["MYPY_CACHE_DIR"] = str(Path(work) / "mypy-cache")
        done = subprocess.run(
            cmd, cwd=SOURCE_ROOT, env=env, capture_output=True, text=True, check=False
        )
        shutil.rmtree(SOURCE_ROOT / "build", ignore_errors=True)
        if done.returncode != 0:
            clean()
            raise RuntimeError(f"mypyc failed:\n{done.stdout[-4000:]}{done.stderr[-4000:]}")
    STAMP.write_text(wanted + "\n")
    return True
