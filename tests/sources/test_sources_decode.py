import io

import pytest

from peakwatch.sources import SourceError, decode
from peakwatch.sources.decode import text_codec

TEXT = "region_id,year,indicator,value,unit\n岳阳市,2019,co2_emissions,12.5,万吨\n"


def decode_text(data: bytes, encoding: str, where: str) -> str:
    return data.decode(text_codec(io.BytesIO(data), encoding, where))


@pytest.mark.parametrize(
    "data",
    [TEXT.encode("utf-8"), b"\xef\xbb\xbf" + TEXT.encode("utf-8"), TEXT.encode("gbk"), TEXT.encode("gb18030")],
    ids=["utf-8", "utf-8-bom", "gbk", "gb18030"],
)
def test_auto_reads_every_encoding_analysts_use(data):
    assert decode_text(data, "auto", "f.csv") == TEXT


def test_declared_gbk_reads_gbk():
    assert decode_text(TEXT.encode("gbk"), "gbk", "f.csv") == TEXT


def test_declared_utf8_with_bom_drops_the_bom():
    assert decode_text(b"\xef\xbb\xbf" + TEXT.encode("utf-8"), "utf-8", "f.csv").startswith("region_id")


def test_gbk_bytes_read_as_utf8_fail_with_line_and_hint_instead_of_mojibake():
    with pytest.raises(SourceError) as err:
        decode_text(TEXT.encode("gbk"), "utf-8", "yearbook.csv")
    message = str(err.value)
    assert "yearbook.csv" in message and "line 2" in message and "GBK" in message


def test_html_page_is_not_a_table():
    with pytest.raises(SourceError, match="HTML page"):
        decode_text(b"<!DOCTYPE html><html><body>502 Bad Gateway</body></html>", "auto", "f.csv")


def test_html_page_after_a_long_run_of_blank_lines_is_not_a_table():
    with pytest.raises(SourceError, match="HTML page"):
        decode_text(b"\xef\xbb\xbf" + b"\r\n" * 600 + b"<html><body>Login</body></html>", "auto", "f.csv")


def test_utf8_bytes_declared_gbk_fail_instead_of_mojibake():
    with pytest.raises(SourceError, match="declared gbk, but the bytes are UTF-8"):
        decode_text(TEXT.encode("utf-8"), "gbk", "yearbook.csv")


@pytest.fixture
def small_chunks(monkeypatch):
    """Chunks of 5 bytes: every multi-byte character of TEXT spans a chunk boundary somewhere."""
    monkeypatch.setattr(decode, "_CHUNK_BYTES", 5)


@pytest.mark.parametrize("encoding", ["utf-8", "gbk", "gb18030"])
def test_characters_split_between_chunks_still_decode(small_chunks, encoding):
    assert decode_text(TEXT.encode(encoding), "auto", "f.csv") == TEXT
    assert decode_text(TEXT.encode(encoding), encoding, "f.csv") == TEXT


def test_a_bad_byte_in_a_later_chunk_is_named_by_its_line(small_chunks):
    data = TEXT.encode("gbk")  # its first non-ASCII byte is the 37th, in the eighth chunk
    with pytest.raises(SourceError, match=r"not valid utf-8 at line 2 \(byte 36\); the bytes decode as GBK"):
        decode_text(data, "utf-8", "f.csv")


def test_the_file_is_left_at_its_start_for_the_reader(small_chunks):
    file = io.BytesIO(TEXT.encode("gbk"))
    codec = text_codec(file, "auto", "f.csv")
    assert file.tell() == 0 and file.read().decode(codec) == TEXT
