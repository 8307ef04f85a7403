"""Built-in engine addons (see :mod:`v2gsniff.sniffer.engine`): each is one consumer of records.

``RecordWriter`` writes records and findings (JSONL or readable lines), ``Sessions`` tracks
charging sessions per capture, ``Visibility`` judges whether the capture sees the whole
conversation. Commands and the UI compose them with an :class:`~v2gsniff.sniffer.engine.Engine`.
"""

from .sessions import Sessions
from .visibility import Visibility
from .writer import RecordWriter

__all__ = ["RecordWriter", "Sessions", "Visibility"]
