"""Captures named by fsspec URLs (``s3://bucket/prefix/``, ``gs://…``, ``file://…``, ``memory://…``).

The same readers as for local files run over the remote file object, forward only: fsspec's
``readahead`` cache fetches the object in blocks of ``BLOCK`` bytes as the parser asks for
them, so a large capture streams and never sits whole in memory. fsspec (and the filesystem
package of each scheme: s3fs, gcsfs) is the optional ``fleet`` extra; plain paths never need it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

from .errors import CaptureNotFound
from .open import CaptureReader, _open_stream, cannot_open, open_capture

BLOCK = 1 << 20
"""Bytes fetched per request from object storage (the same size as the local read buffer)."""

INSTALL_HINT = "pip install 'v2gsniff[fleet]'"


def is_url(location: str | os.PathLike[str]) -> bool:
    """True for ``scheme://…`` locations (a Windows drive letter is not a scheme)."""
    text = os.fspath(location)
    scheme, sep, _ = str(text).partition("://")
    return bool(sep) and len(scheme) > 1 and scheme.replace("+", "").replace("-", "").isalnum()


def base_name(location: str | os.PathLike[str]) -> str:
    """The file name of a path or URL (what reports call the capture)."""
    text = str(os.fspath(location)).rstrip("/")
    return text.rsplit("/", 1)[-1] if is_url(text) else os.path.basename(text)


def filesystem(url: str) -> tuple[Any, str]:
    """The fsspec filesystem of ``url`` and the path within it; a clear error without fsspec."""
    try:
        import fsspec
    except ImportError as err:
        raise CaptureNotFound(f"{url}: reading URLs needs fsspec ({INSTALL_HINT})") from err
    try:
        fs, path = fsspec.core.url_to_fs(url)
    except ImportError as err:  # the scheme's own package (s3fs, gcsfs) is missing
        raise CaptureNotFound(f"{url}: {err}") from err
    except ValueError as err:  # unknown scheme
        raise CaptureNotFound(f"{url}: {err}") from err
    return fs, str(path)


def list_captures(url: str, suffixes: tuple[str, ...]) -> tuple[list[tuple[str, int]], str | None]:
    """(URL, size) of the capture files at ``url`` (a prefix is searched recursively), or a problem.

    A URL naming one object is taken whatever its name, as a local file named explicitly is.
    """
    try:
        fs, path = filesystem(url)
        if fs.isfile(path):
            return [(url, int(fs.size(path) or 0))], None
        found = fs.find(path, detail=True)
    except CaptureNotFound as err:
        return [], str(err)
    except (OSError, ValueError) as err:
        return [], f"{url}: cannot list: {err}"
    out = sorted((fs.unstrip_protocol(name), int(info.get("size") or 0)) for name, info in found.items()
                 if info.get("type") == "file" and name.lower().endswith(suffixes))
    if not out:
        return [], f"{url}: no capture files ({', '.join(suffixes)}) under this URL"
    return out, None


def open_any(location: str | os.PathLike[str]) -> CaptureReader:
    """``open_capture`` for a path, or the same reader over an fsspec file for a URL."""
    if not is_url(location):
        return open_capture(location)
    url = str(os.fspath(location))
    fs, path = filesystem(url)
    try:
        f = fs.open(path, "rb", block_size=BLOCK, cache_type="readahead")
    except OSError as err:
        raise cannot_open(url, err) from err
    size = getattr(f, "size", None)
    try:
        return _open_stream(url, f, size if isinstance(size, int) else None, [f])
    except BaseException:
        f.close()
        raise


def read_chunks(location: str | os.PathLike[str], size: int = BLOCK) -> Iterator[bytes]:
    """The raw bytes of a path or URL in ``size`` pieces (for content hashes)."""
    if is_url(location):
        fs, path = filesystem(str(os.fspath(location)))
        f: Any = fs.open(path, "rb", block_size=BLOCK, cache_type="readahead")
    else:
        f = open(location, "rb")  # noqa: SIM115 - closed below
    with f:
        while chunk := f.read(size):
            yield chunk
