"""Built-in engine addons (see :mod:`v2gsniff.sniffer.engine`): each is one consumer of records.

``RecordWriter`` (``.writer``) writes records and findings (JSONL or readable lines),
``Pnc`` (``.pnc``) and ``Findings`` (``.findings``) are stages that add the Plug & Charge
verdicts and the findings to the records before the sinks see them,
``Sessions`` (``.sessions``) tracks charging sessions per capture, ``Visibility``
(``.visibility``) judges whether the capture sees the whole conversation. Commands and the UI
compose them with an :class:`~v2gsniff.sniffer.engine.Engine`. ``Keep`` (``.keep``) keeps every
record in a list, for tests and scripts.
"""

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .findings import Findings
    from .keep import Keep
    from .pnc import Pnc
    from .sessions import Sessions
    from .visibility import Visibility
    from .writer import RecordWriter

_MODULES = {"Findings": "findings", "Pnc": "pnc", "Keep": "keep", "RecordWriter": "writer", "Sessions": "sessions", "Visibility": "visibility"}


def __getattr__(name: str) -> Any:
    # Each addon loads with its command: ``decode`` never pays for the session tracker.
    if name in _MODULES:
        import importlib

        return getattr(importlib.import_module(f"{__name__}.{_MODULES[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["Findings", "Keep", "Pnc", "RecordWriter", "Sessions", "Visibility"]
