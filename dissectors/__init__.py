"""Pure decoders for CCS charging communication: bytes in, :class:`Layer` out.

Nothing in this package performs I/O, reads the clock or keeps global state.
"""

from v2gsniff.dissectors._api import DissectError, Field, Layer, NeedMoreData, fields_to_json, mac_text

__all__ = ["DissectError", "Field", "Layer", "NeedMoreData", "fields_to_json", "mac_text"]
