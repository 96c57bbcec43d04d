"""Which text encoding a CSV source's bytes are in: UTF-8, UTF-8 with BOM, GBK / GB18030.

``auto`` tries UTF-8 first (strict) and falls back to GB18030, a superset of
GBK. A declared encoding that does not fit the bytes is an error naming the
line, never a silent replacement with mojibake.

The file is read a chunk at a time, never held whole: at 30 000 series the
file's bytes, held while its cells were read, were 118 MB of the pull's peak.
"""

import codecs
import functools
from collections.abc import Iterator
from typing import BinaryIO

from peakwatch.sources.errors import SourceError

_HTML_MARKERS = ("<!doctype html", "<html", "<head", "<body")
_CHUNK_BYTES = 1 << 20


def chunks(file: BinaryIO) -> Iterator[bytes]:
    """The file's bytes from its start, a chunk at a time."""
    file.seek(0)
    return iter(functools.partial(file.read, _CHUNK_BYTES), b"")


def is_blank(file: BinaryIO) -> bool:
    return all(not chunk.strip() for chunk in chunks(file))


def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def _fits(file: BinaryIO, encoding: str) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)()
    try:
        for chunk in chunks(file):
            decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _check_strict(file: BinaryIO, encoding: str, where: str, label: str | None = None) -> None:
    if _fits(file, encoding):
        return
    # Only a file that does not decode is read whole: to name the line of its first bad byte.
    file.seek(0)
    data = file.read()
    try:
        data.decode(encoding)
    except UnicodeDecodeError as exc:
        hint = ""
        if encoding.startswith("utf-8") and _fits(file, "gb18030"):
            hint = "; the bytes decode as GBK/GB18030: set `encoding: gbk` (or `auto`) for this source"
        raise SourceError(
            f"{where}: not valid {label or encoding} at line {_line_of(data, exc.start)} (byte {exc.start}){hint}"
        ) from None


def text_codec(file: BinaryIO, encoding: str, where: str) -> str:
    """The codec that decodes the binary ``file`` as ``encoding`` ('auto',
    'utf-8', 'utf-8-sig', 'gbk', 'gb18030'), checked on the whole file; the
    caller can then decode as it reads from the file's start, where this
    leaves it."""
    head = next(chunks(file), b"")
    if encoding == "auto":
        if head.startswith(codecs.BOM_UTF8):
            codec = "utf-8-sig"
            _check_strict(file, codec, where)
        elif _fits(file, "utf-8"):
            codec = "utf-8"
        else:
            codec = "gb18030"
            _check_strict(file, codec, where)
    elif encoding in ("gbk", "gb18030") and not all(c.isascii() for c in chunks(file)) and _fits(file, "utf-8"):
        # Chinese text that is valid UTF-8 is UTF-8: decoding it as GBK would "work" and give mojibake
        raise SourceError(f"{where}: declared {encoding}, but the bytes are UTF-8; set `encoding: utf-8` (or `auto`)")
    else:
        # utf-8 with a BOM is still utf-8: drop the BOM rather than keep it in the first header
        codec = "utf-8-sig" if encoding == "utf-8" else encoding
        _check_strict(file, codec, where, label=encoding)
    # reject_html reads 200 characters after leading whitespace: at most 800 bytes in these codecs
    start = head.removeprefix(codecs.BOM_UTF8).lstrip()[:800]
    reject_html(start.decode(codec, errors="replace"), where)
    file.seek(0)
    return codec


def reject_html(text: str, where: str) -> None:
    """An HTML page (a login wall, a 404 page served with 200) is not a table."""
    head = text.lstrip()[:200].lower()
    if head.startswith(_HTML_MARKERS):
        raise SourceError(f"{where}: got an HTML page, not a data table (an error or login page?): {head[:80]!r}")
