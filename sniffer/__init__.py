"""v2gsniff core: capture sources, stream reassembly, decoding pipeline, sessions and reports.

The core never imports the terminal UI.
"""

from __future__ import annotations

__all__ = ["__version__"]


def __getattr__(name: str) -> str:
    # Looked up on demand: importlib.metadata costs more start-up time than a whole decode
    # of a small capture.
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            return version("v2gsniff")
        except PackageNotFoundError:  # running from a source tree that is not installed
            return "0+unknown"
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
