"""Which text encoding a CSV source's bytes are in: UTF-8, UTF-8 with BOM, GBK / GB18030.

``auto`` tries UTF-8 first (strict) and falls back to GB18030, a superset of
GBK. A declared encoding that does not fit the bytes is an error naming the
line, never a silent replacement with mojibake.
"""

import codecs

from flows.sources.errors import SourceError

_HTML_MARKERS = ("<!doctype html", "<html", "<head", "<body")


def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def _check_strict(data: bytes, encoding: str, where: str, label: str | None = None) -> None:
    try:
        data.decode(encoding)
    except UnicodeDecodeError as exc:
        hint = ""
        if encoding.startswith("utf-8") and _fits(data, "gb18030"):
            hint = "; the bytes decode as GBK/GB18030: set `encoding: gbk` (or `auto`) for this source"
        raise SourceError(
            f"{where}: not valid {label or encoding} at line {_line_of(data, exc.start)} (byte {exc.start}){hint}"
        ) from None


def _fits(data: bytes, encoding: str) -> bool:
    try:
        data.decode(encoding)
    except UnicodeDecodeError:
        return False
    return True


def text_codec(data: bytes, encoding: str, where: str) -> str:
    """The codec that decodes ``data`` as ``encoding`` ('auto', 'utf-8',
    'utf-8-sig', 'gbk', 'gb18030'), checked on the whole of ``data``: the
    caller can then decode as it reads, never holding the whole text."""
    if encoding == "auto":
        if data.startswith(codecs.BOM_UTF8):
            codec = "utf-8-sig"
            _check_strict(data, codec, where)
        elif _fits(data, "utf-8"):
            codec = "utf-8"
        else:
            codec = "gb18030"
            _check_strict(data, codec, where)
    elif encoding in ("gbk", "gb18030") and not data.isascii() and _fits(data, "utf-8"):
        # Chinese text that is valid UTF-8 is UTF-8: decoding it as GBK would "work" and give mojibake
        raise SourceError(f"{where}: declared {encoding}, but the bytes are UTF-8; set `encoding: utf-8` (or `auto`)")
    else:
        # utf-8 with a BOM is still utf-8: drop the BOM rather than keep it in the first header
        codec = "utf-8-sig" if encoding == "utf-8" else encoding
        _check_strict(data, codec, where, label=encoding)
    # reject_html reads 200 characters after leading whitespace: at most 800 bytes in these codecs
    head = data.removeprefix(codecs.BOM_UTF8).lstrip()[:800]
    reject_html(head.decode(codec, errors="replace"), where)
    return codec


def reject_html(text: str, where: str) -> None:
    """An HTML page (a login wall, a 404 page served with 200) is not a table."""
    head = text.lstrip()[:200].lower()
    if head.startswith(_HTML_MARKERS):
        raise SourceError(f"{where}: got an HTML page, not a data table (an error or login page?): {head[:80]!r}")
