"""How the archive packs a page body: its sha256 and its compressed bytes, and how it unpacks them. Light imports
only (hashlib, zlib, zstandard), so a crawl's parse process can pack pages without loading the rest of the
archive."""

from __future__ import annotations

import hashlib
import threading
import zlib
from typing import NamedTuple

import zstandard

# Zstandard level 3: on the saved pages of the three outlets it compresses as tightly as zlib level 3 (3.2x) in
# 0.07 ms a page instead of 0.25, and unpacks 3x faster (benchmarks/README.md). A crawl packs every page it
# stores, so this is CPU a crawl at full speed no longer competes with the fetching for.
CODEC = "zstd"
LEVEL = 3
# A page of up to SMALL_PAGE bytes (the outlets' pages are 2-50 KiB) is packed with hash and chain tables of
# 2^14 entries each, not the 2^16 and 2^15 zstd picks for ~40 KiB: the outlets' saved pages come out 0.4 %
# larger (and 128 KiB of them joined), and zstd clears and fills 256 KiB less for each, which stays in the CPU's
# cache for lxml, parsing the same page next in a crawl's parse process: packing and parsing take ~7 % less CPU
# together (benchmarks/README.md, "Crawl pipeline"). Joined to 256 KiB they came out 4.6 % larger so: a larger
# page gets zstd's own tables.
SMALL_PAGE = 128 * 1024
SMALL_PAGE_PARAMETERS = zstandard.ZstdCompressionParameters.from_level(LEVEL, hash_log=14, chain_log=14,
                                                                       write_checksum=1)
CODECS = ("zstd", "zlib")  # what a raw_pages row may name; zlib: rows written before zstd was adopted


class PackedBody(NamedTuple):
    """A page body as the archive keeps it: its sha256 (an unchanged page is not stored again), its compressed
    bytes and the codec that compressed them."""

    sha256: str
    compressed: bytes
    codec: str


def pack_body(body: bytes) -> PackedBody:
    """Pure, and the costliest part of storing a page, so a caller may do it elsewhere (a crawl does it in its
    parse process) and hand the result in with the body, which must be the bytes it was made of."""
    return PackedBody(body_sha256(body), compress_body(body), CODEC)


def body_sha256(body: bytes) -> str:
    """The half of pack_body an unchanged page needs: the archive compresses only a body it stores."""
    return hashlib.sha256(body).hexdigest()


def compress_body(body: bytes) -> bytes:
    """The body compressed with CODEC."""
    if len(body) <= SMALL_PAGE:
        return _per_thread.small_page_compressor.compress(body)
    return _per_thread.compressor.compress(body)


def unpack_body(codec: str, data: bytes, size: int, sha256: str) -> bytes:
    """The bytes a row was packed from (its codec, stored bytes, size and sha256); ValueError for a codec this
    archive does not know and for bytes that do not unpack to the page they were packed from."""
    try:
        if codec == "zstd":
            # max_output_size: a frame written without its content size (another zstd writer) still unpacks
            body = _per_thread.decompressor.decompress(data, max_output_size=max(size, 1))
        elif codec == "zlib":
            body = zlib.decompress(data)
        else:
            raise ValueError(f"unknown compression {codec!r} (this archive reads {', '.join(CODECS)})")
    except (zstandard.ZstdError, zlib.error) as error:
        raise ValueError(f"damaged {codec} data: {error}") from None
    if len(body) != size or body_sha256(body) != sha256:  # a flipped bit zstd's own checksum could miss
        raise ValueError(f"damaged {codec} data: the bytes do not match the page's size and sha256")
    return body


class _Codecs(threading.local):
    """Compressors and a decompressor per thread: making one costs ~12 us, and none may be shared between
    threads."""

    def __init__(self) -> None:
        # the content size (a reader needs no size hint) and a checksum of the frame (4 bytes)
        self.compressor = zstandard.ZstdCompressor(level=LEVEL, write_checksum=True)
        self.small_page_compressor = zstandard.ZstdCompressor(compression_params=SMALL_PAGE_PARAMETERS)
        self.decompressor = zstandard.ZstdDecompressor()


_per_thread = _Codecs()
