"""v2gsniff core: capture sources, stream reassembly, decoding pipeline, sessions and reports.

The core never imports the terminal UI.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("v2gsniff")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0+unknown"

__all__ = ["__version__"]
