"""A parse process (``python -m crawler.parse_worker``): reads pages on stdin, answers parsed pages on stdout.

Started by crawler/parse_pool.py, one per crawl. Every message is a pickle behind its length (4 bytes, big
endian). The first message in is the site; the process answers ``("ready",)`` once it can parse, then one
answer per page, in order: ``("ok", parsed page, packed body)`` or ``("error", why)``. It ends at the end of its
input, and with the crawl that started it (``PR_SET_PDEATHSIG`` on Linux), so a SIGKILLed crawl leaves no
parse process behind.
"""

from __future__ import annotations

import os
import pickle
import signal
import struct
import sys
from typing import IO, Any

from crawler.models import Page
from crawler.sites import Site
from storage import pack_body

FRAME = struct.Struct(">I")  # a page is far under 4 GiB: DOWNLOAD_MAXSIZE stops it long before
_PR_SET_PDEATHSIG = 1  # linux/prctl.h


def frame(message: Any) -> bytes:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    return FRAME.pack(len(data)) + data


def read_message(stream: IO[bytes]) -> Any | None:
    """The next message, or None at the end of the input."""
    header = stream.read(FRAME.size)
    if len(header) < FRAME.size:
        return None
    (size,) = FRAME.unpack(header)
    data = stream.read(size)
    if len(data) < size:
        return None
    return pickle.loads(data)


def answer(site: Site, page: Page) -> tuple[Any, ...]:
    # Packed before it is parsed, while the body just read is in the CPU's cache: zstd then lxml read it from
    # there, and the two take ~6 % less CPU than in the other order (benchmarks/README.md, "Crawl pipeline").
    packed = pack_body(page.body)
    try:
        return ("ok", site.parse_page(page), packed)
    except Exception as error:  # the crawl parses the page again itself and reports it as it always has
        return ("error", f"{type(error).__name__}: {error}")


def serve(incoming: IO[bytes], outgoing: IO[bytes]) -> None:
    site = read_message(incoming)
    if site is None:
        return
    outgoing.write(frame(("ready",)))
    outgoing.flush()
    while (page := read_message(incoming)) is not None:
        try:
            message = frame(answer(site, page))
        except Exception as error:  # a body that cannot be packed, an answer that cannot be pickled
            message = frame(("error", f"{type(error).__name__}: {error}"))
        outgoing.write(message)
        outgoing.flush()


def _die_with_parent() -> None:
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):  # not Linux: the end of the input (the crawl closing it) has to do
        pass


def main() -> None:
    _die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the crawl's to handle; it closes our input
    outgoing = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # a stray print() must not break the answers
    serve(sys.stdin.buffer, outgoing)


if __name__ == "__main__":
    main()
