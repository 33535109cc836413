"""Reading pages in a parse process beside the crawl, so the crawl's reactor keeps fetching meanwhile.

A crawl is one Python process: while it builds an lxml tree and walks it, Scrapy fetches nothing. Parsing
(the site's pure ``parse_page``: bytes in, dataclasses out) and hashing and compressing the page for the
archive are the largest part of the work that is ours, so they move to a process of their own
(crawler/parse_worker.py) and the crawl process is left with Scrapy and the archive.

The process is fed through its stdin and answers on its stdout, both written and read by the reactor:
no thread in the crawl process hands pages over (a ProcessPoolExecutor's threads did, and every hand-over
waited for the GIL while the reactor ran: ~20 ms a page). Nothing is lost when that goes wrong: a page whose
parse raised, or that met a parse process that died, is parsed again in the crawl process, where it fails
(or not) exactly as it would have without the pool; until the process is ready, and after it died more
than a few times, pages are parsed in the crawl process.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import pickle
import sys
from collections import deque
from pathlib import Path
from typing import Any, NamedTuple

from twisted.internet import error as twisted_errors
from twisted.internet import fdesc
from twisted.internet.defer import Deferred, DeferredList
from twisted.internet.interfaces import IReadDescriptor
from twisted.internet.main import CONNECTION_DONE, CONNECTION_LOST
from twisted.internet.protocol import ProcessProtocol
from twisted.python.failure import Failure
from zope.interface import implementer

from crawler.models import Page, ParsedPage
from crawler.parse_worker import FRAME, frame
from crawler.sites import Site
from storage import PackedBody

logger = logging.getLogger(__name__)

# Request meta key: what a parse process made of the response (a ParsedElsewhere); the spider takes it.
PARSED_ELSEWHERE = "hljnews_parsed_elsewhere"
# Request meta key: why the page failed in the parse process (it took too long); the spider fails the page.
PARSE_FAILED = "hljnews_parse_failed"
STOP_SECONDS = 5  # a parse process still running this long after its input closed is killed
RESTARTS = 3  # parse processes that may die in one crawl before the rest of it parses in the crawl process
_PACKAGE_ROOT = str(Path(__file__).resolve().parents[1])  # where `crawler` is importable from
# Pipes to and from a process hold this much (Linux: fcntl F_SETPIPE_SZ; elsewhere the system's default), and
# its answers are read this much at a time. Twisted reads a process's output 8 KiB per turn of the reactor:
# an answer (parsed page and packed body, ~15 KiB) took two turns, and a reactor busy with the crawl turns
# only so often, so pages queued for their answers while holding download slots (~10 of 16 in
# benchmarks/crawl.py; ~4 with these sizes). A 64 KiB pipe also held little more than one page going in.
PIPE_BYTES = 1 << 20


class ParsedElsewhere(NamedTuple):
    """A page as a parse process read it, with its body packed for the archive."""

    page: Page
    parsed: ParsedPage
    packed: PackedBody


Answer = ParsedElsewhere | str | None  # parsed; why the page failed; or None: the caller parses it


class ParsePool:
    """Parse processes for one site's pages; every method runs on the reactor thread."""

    def __init__(self, site: Site, site_message: bytes, processes: int, timeout: float) -> None:
        from twisted.internet import reactor  # here: importing it at the top would install Twisted's default

        self.site = site
        self.timeout = timeout
        self.reactor = reactor
        self.restarts = 0
        self.closed = False
        self._site_message = site_message  # frame(site): the first message every process gets
        self._processes = [self._spawn()]  # the first one failing to start means no pool (see start)
        for _ in range(processes - 1):
            try:
                self._processes.append(self._spawn())
            except OSError as error:
                logger.warning("%d of %d parse processes for %s started (%s)", len(self._processes), processes,
                               site.key, error)
                break

    @classmethod
    def start(cls, site: Site, processes: int, timeout: float = 60.0) -> ParsePool | None:
        """A pool, or None when there is to be none (0 processes), the site cannot be sent to a process or no
        process can be started."""
        if processes <= 0:
            return None
        try:
            site_message = frame(site)
        except (pickle.PicklingError, TypeError, AttributeError) as error:
            logger.info("parsing %s in the crawl process: its site cannot be sent to a parse process (%s)",
                        site.key, error)
            return None
        try:
            return cls(site, site_message, processes, timeout)
        except OSError as error:  # out of memory, of process slots…
            logger.warning("parsing %s in the crawl process: no parse process could be started (%s)", site.key,
                           error)
            return None

    def parse(self, page: Page) -> Deferred[Answer] | None:
        """The page as a parse process reads it, None if the caller is to parse it itself, or why the page
        failed (its parse ran over the timeout: a page that hangs the parser fails alone, and the process is
        replaced); None right away when no process is ready: the caller parses it rather than wait."""
        ready = [process for process in self._processes if process.ready]
        if not ready:
            return None
        return min(ready, key=lambda process: len(process.waiting)).parse(page)

    def close(self) -> Deferred[None]:
        """Stop every process; fires once they have exited (killed after STOP_SECONDS), so none outlives the
        crawl and their CPU time is counted in the crawl's."""
        self.closed = True
        ended = [process.stop() for process in self._processes]
        return DeferredList(ended, consumeErrors=True).addCallback(lambda _: None)

    def process_died(self, process: _ParseProcess, why: str) -> None:
        if self.closed or process not in self._processes:
            return
        self._processes.remove(process)
        self.restarts += 1
        if self.restarts > RESTARTS:
            logger.warning("parse processes of %s died %d times (last: %s); the rest of this crawl parses in the "
                           "crawl process", self.site.key, self.restarts, why)
            return
        logger.warning("a parse process of %s died (%s); its pages are parsed in the crawl process and a new one "
                       "is started", self.site.key, why)
        try:
            self._processes.append(self._spawn())
        except OSError as error:
            logger.warning("no new parse process for %s (%s): the rest of this crawl parses in the crawl process",
                           self.site.key, error)

    def _spawn(self) -> _ParseProcess:
        process = _ParseProcess(self)
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [_PACKAGE_ROOT,
                                                                       os.environ.get("PYTHONPATH")]))}
        output, child_output = os.pipe()  # its stdout: read by _Output below, not by Twisted's 8 KiB reader
        try:
            transport = self.reactor.spawnProcess(process, sys.executable,
                                                  [sys.executable, "-m", "crawler.parse_worker"], env=env,
                                                  childFDs={0: "w", 1: child_output, 2: "r"})
        except BaseException:
            os.close(output)
            raise
        finally:
            os.close(child_output)  # the process has its copy; ours would keep the pipe open after it exits
        for fd in (output, transport.pipes[0].fileno()):
            _enlarge_pipe(fd)
        self.reactor.addReader(_Output(output, process))
        return process


def _enlarge_pipe(fd: int) -> None:
    with contextlib.suppress(AttributeError, OSError):  # not Linux, or over /proc/sys/fs/pipe-max-size
        fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, PIPE_BYTES)  # type: ignore[attr-defined]


@implementer(IReadDescriptor)
class _Output:
    """The read end of a parse process's stdout, PIPE_BYTES at a time, handed to its _ParseProcess."""

    def __init__(self, fd: int, process: _ParseProcess) -> None:
        self.fd = fd
        self.process = process
        # Read into once: os.read(fd, PIPE_BYTES) would allocate (and the kernel zero) a fresh MiB on every call.
        self._chunk = bytearray(PIPE_BYTES)
        fdesc.setNonBlocking(fd)

    def fileno(self) -> int:
        return self.fd

    def doRead(self) -> Failure | None:
        # twisted.internet.fdesc.readFromFD, but PIPE_BYTES at a time: everything the process has answered
        try:
            size = os.readv(self.fd, [self._chunk])
        except (BlockingIOError, InterruptedError):
            return None
        except OSError:
            return CONNECTION_LOST
        if not size:
            return CONNECTION_DONE
        with memoryview(self._chunk)[:size] as data:
            self.process.outReceived(data)  # copied there, before the next read reuses the chunk
        return None

    def connectionLost(self, reason: Failure) -> None:
        """The process closed its stdout (it exited): the reactor has stopped watching this already."""
        os.close(self.fd)
        self.process.outConnectionLost()

    def logPrefix(self) -> str:
        return "parse process output"


class _ParseProcess(ProcessProtocol):
    """One parse process: pages written to its stdin, answers read from its stdout in the same order."""

    def __init__(self, pool: ParsePool) -> None:
        self.pool = pool
        self.ready = False
        self.waiting: deque[tuple[Page, Deferred[Answer]]] = deque()
        self._deadline: Any = None  # the timer of the oldest waiting page
        self._buffer = bytearray()
        self._gone = False
        self._stderr = bytearray()
        self.ended: Deferred[None] = Deferred()  # fires when the process has exited and been reaped

    def connectionMade(self) -> None:
        assert self.transport is not None
        self.transport.write(self.pool._site_message)

    def parse(self, page: Page) -> Deferred[Answer]:
        answered: Deferred[Answer] = Deferred()
        self.waiting.append((page, answered))
        assert self.transport is not None
        self.transport.write(frame(page))
        self._watch_oldest()
        return answered

    def outReceived(self, data: bytes | memoryview) -> None:
        self._buffer += data
        while len(self._buffer) >= FRAME.size:
            (size,) = FRAME.unpack_from(self._buffer)
            if len(self._buffer) < FRAME.size + size:
                return
            message = pickle.loads(self._buffer[FRAME.size:FRAME.size + size])
            del self._buffer[:FRAME.size + size]
            self._received(message)

    def errReceived(self, data: bytes) -> None:
        # Warnings a parser printed: logged a line at a time, so a chatty page cannot flood the crawl's memory.
        self._stderr += data
        *lines, rest = self._stderr.split(b"\n")
        self._stderr = bytearray(rest[-4096:])
        for line in lines:
            if line.strip():
                logger.debug("parse process: %s", line.decode("utf-8", "replace"))

    def outConnectionLost(self) -> None:
        self._lost("its output closed")

    def processEnded(self, reason: Failure) -> None:
        code = getattr(reason.value, "exitCode", None)
        signal = getattr(reason.value, "signal", None)
        clean = reason.check(twisted_errors.ProcessDone) is not None
        self._lost("exited" if clean else f"signal {signal}" if signal else f"exit status {code}")
        if not self.ended.called:
            self.ended.callback(None)

    def stop(self) -> Deferred[None]:
        """Close its input, so it exits; answers still due are given up (the caller parses those pages)."""
        self._gone = True
        self._answer_all_none()
        if self.transport is not None and not self.ended.called:
            self.transport.closeStdin()
            kill = self.pool.reactor.callLater(STOP_SECONDS, self._kill)
            self.ended.addBoth(lambda result: kill.cancel() if kill.active() else None)
        elif not self.ended.called:
            self.ended.callback(None)
        return self.ended

    def _kill(self) -> None:
        with contextlib.suppress(twisted_errors.ProcessExitedAlready):
            self.transport.signalProcess("KILL")  # type: ignore[union-attr]

    def _received(self, message: tuple[Any, ...]) -> None:
        if message[0] == "ready":
            self.ready = not self._gone
            return
        page, answered = self.waiting.popleft()
        self._watch_oldest()
        answered.callback(ParsedElsewhere(page, *message[1:]) if message[0] == "ok" else None)

    def _watch_oldest(self) -> None:
        """The oldest waiting page has `timeout` seconds from now (from when it became the oldest)."""
        if self._deadline is not None and self._deadline.active():
            if self.waiting and self._deadline.args[0] is self.waiting[0][0]:
                return
            self._deadline.cancel()
        self._deadline = None
        if self.waiting and not self._gone:
            self._deadline = self.pool.reactor.callLater(self.pool.timeout, self._too_slow, self.waiting[0][0])

    def _too_slow(self, page: Page) -> None:
        """The oldest page ran over the timeout: it fails; the process is killed (its other pages come back)."""
        self._deadline = None
        if not self.waiting or self.waiting[0][0] is not page:
            return
        _, answered = self.waiting.popleft()
        logger.warning("parsing %s took over %g s: the page fails and its parse process is replaced", page.url,
                       self.pool.timeout)
        answered.callback(f"parsing took over {self.pool.timeout:g} s (the parse process was stopped)")
        self._kill()

    def _lost(self, why: str) -> None:
        if self._deadline is not None and self._deadline.active():
            self._deadline.cancel()
        if self._gone:
            return
        self._gone, self.ready = True, False
        self.pool.process_died(self, why)  # first, so callers woken below see the pool as it now is
        self._answer_all_none()

    def _answer_all_none(self) -> None:
        while self.waiting:
            _, answered = self.waiting.popleft()
            answered.callback(None)
