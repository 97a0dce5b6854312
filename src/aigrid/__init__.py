"""aigrid."""

from aigrid.compiled import activate as _activate

# Before any other aigrid module is imported: load the compiled build only if it matches the
# sources (`aigrid.compiled`).
COMPILED = _activate()
