"""Import the CEL binding without its command-line tool.

Why: `import cel` runs cel/__init__.py, which imports cel.cli (typer, rich,
prompt_toolkit) - about 270 ms added to every deskapp start, for a REPL we never
use. A placeholder `cel.cli` module is registered first so the package skips
it; the `cel` console script runs in its own process and is not affected.
"""

from __future__ import annotations

import sys
import types

if "cel" not in sys.modules and "cel.cli" not in sys.modules:
    sys.modules["cel.cli"] = types.ModuleType("cel.cli", "placeholder: deskapp does not use the CEL REPL")

import cel  # noqa: E402

compile = cel.compile
Context = cel.Context

__all__ = ["cel", "compile", "Context"]
