"""Crawl pipeline against bare Scrapy: articles/s of `scrapy crawl hlj_people` over a bare link follower.

Builds a mirror of --articles hlj_people articles at run time (the bundled mirror's single-page articles
cloned with distinct ids, each byte of the page otherwise kept; channel lists of the same template linking
to them, five list pages per channel as a real run reads) and serves it on 127.0.0.1 as the crawls' proxy.
Both crawls run against it in the same run with the same concurrency (16 requests, 16 per domain), no
download delay, no autothrottle and robots.txt obeyed:

- baseline: a bare Scrapy spider that follows list -> list and list -> article links and does nothing else;
- ours: `scrapy crawl hlj_people` with the project's settings otherwise (parsing, raw pages, hot lists, the
  archive pipeline, stats), into a fresh SQLite archive.

Rates are articles over the crawl's own span: spider opened to closed for the baseline, the run's
started_at to finished_at (what `hljnews runs` shows) for ours; the pair runs --rounds times, alternating,
and the median ratio is the figure (the machine is shared: single runs vary). CPU ms per article of each
crawl is printed beside: its processes' (start-up and ours' parse process included), then its crawl
thread's alone (the reactor's thread, spider opened to closed: `SpanClock` below). The second is what the
crawl thread itself costs, whoever else wants the machine's cores: on two cores ours shares them with its
parse process and the mirror, and then waits for a core before its crawl thread is busy. "busy" is the
crawl thread's CPU over its span: the bare crawl's below ~100 % means it waited (on the mirror, or for a core),
so its rate is not Scrapy's alone.
--inline adds a third crawl to each round: ours with HLJNEWS_PARSE_PROCESSES=0 (every page parsed in the
crawl process), to show what the parse process buys. --profile also runs ours under cProfile and prints
where its time goes (and keeps the profile). --fleet then measures fleet throughput with 1 and 2 workers
against a mirror answering every request after 50 ms: it runs `benchmarks/fleet.py` with its defaults
(needs PostgreSQL and Redis; fleet.py alone takes its own options).

    .venv/bin/python benchmarks/crawl.py --articles 1000 [--profile crawl.prof] [--fleet]
"""

from __future__ import annotations

import argparse
import json
import os
import pstats
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from crawler.settings import EXTENSIONS as PROJECT_EXTENSIONS  # noqa: E402
from mirror import BUNDLED_PAGES, Mirror, MirrorServer  # noqa: E402  (after sys.path)

HOST = "hlj.people.com.cn"
CHANNELS = ("220027", "220024", "220075", "338553")
LIST_PAGES = 5  # per channel: the index and four following pages (HLJNEWS_MAX_LIST_PAGES' default)
ARTICLE = re.compile(r"^c(?P<channel>\d+)-(?P<id>\d{8})\.html$")
LIST_URL = re.compile(rf"^http://{re.escape(HOST)}/GB/\d+/index\d*\.html$")
ARTICLE_PATH = r"/n2/\d{4}/\d{4}/c\d+-"  # then the article's id and .html
ARTICLE_URL = re.compile(rf"^http://{re.escape(HOST)}{ARTICLE_PATH}\d+\.html$")
SPAN_CLOCK = "crawl.SpanClock"  # this module, as the crawls import it (benchmarks/ is on their PYTHONPATH)
CONCURRENCY = {"CONCURRENT_REQUESTS": 16, "CONCURRENT_REQUESTS_PER_DOMAIN": 16, "DOWNLOAD_DELAY": 0,
               "AUTOTHROTTLE_ENABLED": False, "ROBOTSTXT_OBEY": True}


def seed_articles(pages: Path) -> list[Path]:
    """The bundled mirror's single-page hlj_people articles (not multi-page, not the malformed one)."""
    routes = tomllib.loads((pages / "ROUTES.toml").read_text(encoding="utf-8"))
    malformed = {entry["url"] for entry in routes.get("malformed", [])}
    found = []
    for path in sorted((pages / HOST / "n2").rglob("*.html")):
        url = f"http://{HOST}/{path.relative_to(pages / HOST).as_posix()}"
        match = ARTICLE.match(path.name)
        if match and url not in malformed and not list(path.parent.glob(f"c*-{match['id']}-*.html")):
            found.append(path)
    return found


def build_mirror(root: Path, articles: int) -> list[str]:
    """Write the cloned site under root (the mirror's layout); returns the article URLs."""
    seeds = seed_articles(BUNDLED_PAGES)
    urls = []
    for n in range(articles):
        seed = seeds[n % len(seeds)]
        old = ARTICLE.match(seed.name)["id"]  # type: ignore[index]
        new = str(50_000_000 + n)
        target = root / HOST / seed.parent.relative_to(BUNDLED_PAGES / HOST) / seed.name.replace(old, new)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(_cloned(seed.read_bytes(), old, new))
        urls.append(f"http://{HOST}/{target.relative_to(root / HOST).as_posix()}")
    template = (BUNDLED_PAGES / HOST / "GB" / CHANNELS[0] / "index.html").read_bytes()
    per_page = -(-articles // (len(CHANNELS) * LIST_PAGES))
    for c, channel in enumerate(CHANNELS):
        for page in range(LIST_PAGES):
            start = (c * LIST_PAGES + page) * per_page
            listing = _list_page(template, channel, page, urls[start:start + per_page])
            name = "index.html" if page == 0 else f"index{page + 1}.html"
            (root / HOST / "GB" / channel).mkdir(parents=True, exist_ok=True)
            (root / HOST / "GB" / channel / name).write_bytes(listing)
    (root / HOST / "robots.txt").write_bytes(b"User-agent: *\nDisallow: /cgi-bin/\n")
    (root / "ROUTES.toml").write_text(f'[charsets]\n"{HOST}" = "GB2312"\n', encoding="utf-8")
    return urls


def _cloned(page: bytes, old: str, new: str) -> bytes:
    """The seed page with its id replaced by the clone's, except in links to the seed article itself: a
    sidebar's hot list names the seed as it names other articles, and on the live site every article page of
    the hour shows the same list (replaced there too, each clone would show a hot list of its own)."""
    link_to_seed_or_id = rf"({ARTICLE_PATH}{old}\.html)|{old}".encode()
    return re.sub(link_to_seed_or_id, lambda match: match[1] or new.encode(), page)


def _list_page(template: bytes, channel: str, page: int, urls: list[str]) -> bytes:
    """The seed channel list with its links replaced by urls and a pager to the next page."""
    items = b"".join(f'<li><a href="{url.removeprefix(f"http://{HOST}")}" target="_blank">'.encode()
                     + "黑龙江新闻".encode("gbk") + f" {n}</a><em>2021-07-16</em></li>\n".encode()
                     for n, url in enumerate(urls))
    pager = f'<a href="/GB/{channel}/index{page + 2}.html">'.encode() + "下一页".encode("gbk") + b"</a>"
    body = re.sub(rb'(<ul class="list_16 mt10">).*?(</ul>)', lambda m: m[1] + b"\n" + items + m[2], template,
                  flags=re.S)
    body = re.sub(rb'(<div class="page_n clearfix">).*?(</div>)', lambda m: m[1] + pager + m[2], body, flags=re.S)
    return body.replace(b"/GB/220027/", f"/GB/{channel}/".encode())


class SpanClock:
    """Scrapy extension for both crawls: the wall seconds (the baseline's span) and the crawl thread's CPU seconds
    from spider opened to closed, written as JSON to $HLJNEWS_BENCH_SPAN (the crawl thread is the reactor's: the
    one opening the spider)."""

    def __init__(self, crawler: Any) -> None:
        from scrapy import signals

        self.started = (0.0, 0.0)
        crawler.signals.connect(self.opened, signal=signals.spider_opened)
        crawler.signals.connect(self.closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Any) -> SpanClock:
        return cls(crawler)

    def opened(self) -> None:
        self.started = (time.monotonic(), time.thread_time())

    def closed(self) -> None:
        wall, cpu = time.monotonic() - self.started[0], time.thread_time() - self.started[1]
        Path(os.environ["HLJNEWS_BENCH_SPAN"]).write_text(json.dumps({"seconds": wall, "thread_cpu": cpu}))


def bare_child(out: str) -> None:
    """The baseline crawl (run in a child process: Twisted's reactor starts once per process)."""
    import scrapy
    from scrapy.crawler import CrawlerProcess

    class Bare(scrapy.Spider):
        name = "bare"
        start_urls = tuple(f"http://{HOST}/GB/{channel}/index.html" for channel in CHANNELS)
        articles = 0

        def parse(self, response):
            if ARTICLE_URL.match(response.url):
                self.articles += 1
                return
            for href in response.css("a::attr(href)").getall():
                url = response.urljoin(href)
                if LIST_URL.match(url) or ARTICLE_URL.match(url):
                    yield scrapy.Request(url)

    settings = {**CONCURRENCY, "USER_AGENT": "hljnews-bench", "LOG_LEVEL": "INFO", "TELNETCONSOLE_ENABLED": False,
                "COOKIES_ENABLED": False, "EXTENSIONS": {SPAN_CLOCK: 0}}  # the clock times its span
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(Bare)
    process.crawl(crawler)
    process.start()
    Path(out).write_text(json.dumps({"articles": crawler.spider.articles}))


def run_bare(server: MirrorServer, folder: Path) -> dict[str, float]:
    """The baseline crawl: articles/s over its span, CPU ms per article of its process and of its crawl thread."""
    out, cpu = folder / "bare.json", _children_cpu()
    subprocess.run([sys.executable, __file__, "--bare-child", str(out)], env=_env(server, folder), check=True,
                   stdout=subprocess.DEVNULL, stderr=(folder / "bare.log").open("w"))
    articles, span = json.loads(out.read_text())["articles"], _span(folder)
    return {"rate": articles / span["seconds"], "cpu_ms": (_children_cpu() - cpu) * 1000 / articles,
            "thread_ms": span["thread_cpu"] * 1000 / articles, "busy": span["thread_cpu"] / span["seconds"]}


def run_pipeline(server: MirrorServer, folder: Path, db: str, profile: Path | None, *, inline: bool = False
                 ) -> dict[str, Any]:
    """`scrapy crawl hlj_people` into db; articles stored and the run's span."""
    settings = [arg for name, value in CONCURRENCY.items() for arg in ("-s", f"{name}={int(value)}")]
    settings += ["-s", "HLJNEWS_PARSE_PROCESSES=0"] if inline else []
    # The project's per-run page limit (2,000) would stop a crawl of a mirror that size early, ending it
    # `truncated` with a few articles unread; the bare spider has no such limit either.
    settings += ["-s", "CLOSESPIDER_PAGECOUNT=0"]
    settings += ["-s", f"EXTENSIONS={json.dumps({**PROJECT_EXTENSIONS, SPAN_CLOCK: 0})}"]  # -s replaces the whole dict
    cpu = _children_cpu()
    command = [*(["-m", "cProfile", "-o", str(profile)] if profile else []), "-m", "scrapy", "crawl", "hlj_people",
               "-s", f"HLJNEWS_DB={db}", *settings]
    subprocess.run([sys.executable, *command], env=_env(server, folder), cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL, stderr=(folder / "pipeline.log").open("w"))
    from storage import open_archive

    with open_archive(db) as archive:
        run = archive.runs(site="hlj_people", limit=1)[0]
    seconds, span = (run["finished_at"] - run["started_at"]).total_seconds(), _span(folder)
    return {"articles": run["pages_new"], "rate": run["pages_new"] / seconds, "failed": run["pages_failed"],
            "status": run["status"], "cpu_ms": (_children_cpu() - cpu) * 1000 / max(1, run["pages_new"]),
            "thread_ms": span["thread_cpu"] * 1000 / max(1, run["pages_new"]),
            "busy": span["thread_cpu"] / span["seconds"]}


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _span(folder: Path) -> dict[str, float]:
    """The last crawl's span as its SpanClock wrote it: wall seconds and the crawl thread's CPU seconds."""
    return json.loads((folder / "span.json").read_text())


def _env(server: MirrorServer, folder: Path) -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if "proxy" not in name.lower()}
    return {**env, "http_proxy": server.proxy_url, "PYTHONPATH": os.pathsep.join((str(ROOT), str(ROOT / "benchmarks"))),
            "SCRAPY_SETTINGS_MODULE": "crawler.settings", "HLJNEWS_BENCH_SPAN": str(folder / "span.json")}


def print_profile(path: Path) -> None:
    """Where the crawl's CPU time goes, by area, then the top functions by own time."""
    stats = pstats.Stats(str(path))
    total = stats.total_tt  # type: ignore[attr-defined]
    areas = {"site parsing (crawler/sites, html, text)": ("crawler/sites/", "crawler/html.py", "crawler/text/"),
             "archive pipeline (crawler/pipelines.py)": ("crawler/pipelines.py",),
             "storage (storage/)": ("storage/",), "raw page compression (zstd)": ("ZstdCompressor",)}
    raw = stats.stats  # type: ignore[attr-defined]
    print(f"\nprofile of `scrapy crawl hlj_people`: {total:.1f} s CPU in the crawl process; inclusive time by area")
    for area, markers in areas.items():
        cumulative = max((entry[3] for func, entry in raw.items()
                          if any(m in func[0] or m in func[2] for m in markers) and entry[3] > 0), default=0.0)
        inclusive = _inclusive(raw, markers)
        print(f"  {area:<45} {inclusive:6.1f} s ({inclusive / total:4.0%})  top frame {cumulative:5.1f} s")
    stats.sort_stats("tottime").print_stats(15)


def _inclusive(raw: dict, markers: tuple[str, ...]) -> float:
    """Time inside functions of the area, not counted twice when they call each other."""
    inside = {func for func in raw if any(m in func[0] or m in func[2] for m in markers)}
    total = 0.0
    for func in inside:
        _, _, _, cumulative, callers = raw[func]
        from_outside = sum(entry[3] for caller, entry in callers.items() if caller not in inside)
        total += from_outside if callers else cumulative
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=5, help="pairs of crawls (bare, ours), alternating")
    parser.add_argument("--inline", action="store_true",
                        help="also crawl with HLJNEWS_PARSE_PROCESSES=0 each round (no parse process)")
    parser.add_argument("--profile", metavar="FILE", type=Path,
                        help="also run ours under cProfile, print where its time goes and keep the profile in FILE")
    parser.add_argument("--fleet", action="store_true",
                        help="then fleet throughput, 1 and 2 workers, every answer after 50 ms (benchmarks/fleet.py)")
    parser.add_argument("--bare-child", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.bare_child:
        return bare_child(options.bare_child)
    folder = Path(tempfile.mkdtemp(prefix="hljnews-crawl-bench-"))
    try:  # the folder stays when a crawl fails, for its log
        urls = build_mirror(folder / "pages", options.articles)
        print(f"mirror: {len(urls):,} hlj_people articles ({len(seed_articles(BUNDLED_PAGES))} seed pages cloned), "
              f"{len(CHANNELS) * LIST_PAGES} list pages; concurrency 16, no delay, robots.txt obeyed")
        print(f"{'round':<6} {'bare Scrapy':>14} {'hlj_people':>14} {'ratio':>6}   CPU ms/article bare, ours "
              "(processes; crawl thread); crawl thread busy")
        ratios, inline_ratios, thread_ratios = [], [], []
        with MirrorServer(Mirror(folder / "pages")) as server:
            for n in range(options.rounds):
                bare = run_bare(server, folder)
                ours = run_pipeline(server, folder, str(folder / f"bench{n}.sqlite3"), None)
                ratios.append(ours["rate"] / bare["rate"])
                thread_ratios.append(bare["thread_ms"] / ours["thread_ms"])
                print(f"{n + 1:<6} {bare['rate']:7.0f} art/s {ours['rate']:7.0f} art/s {ratios[-1]:6.2f}   "
                      f"{bare['cpu_ms']:.1f}, {ours['cpu_ms']:.1f}; {bare['thread_ms']:.1f}, {ours['thread_ms']:.1f}  "
                      f"busy {bare['busy']:.0%}, {ours['busy']:.0%}  (run {ours['status']}, "
                      f"{ours['articles']:,} stored, {ours['failed']} failed)")
                if options.inline:
                    alone = run_pipeline(server, folder, str(folder / f"inline{n}.sqlite3"), None, inline=True)
                    inline_ratios.append(alone["rate"] / bare["rate"])
                    print(f"{'':<6} {'no parse process':>14} {alone['rate']:7.0f} art/s {inline_ratios[-1]:6.2f}   "
                          f"{'':>3}  {alone['cpu_ms']:.1f}; {alone['thread_ms']:.1f}  (run {alone['status']}, "
                          f"{alone['articles']:,} stored)")
            if options.profile:
                run_pipeline(server, folder, str(folder / "profiled.sqlite3"), options.profile.resolve())
        print(f"median ratio {statistics.median(ratios):.2f} of bare Scrapy (target >= 0.8)")
        print(f"median ratio of crawl-thread CPU per article, bare over ours: {statistics.median(thread_ratios):.2f} "
              "(the rate ours' crawl thread would allow with a core of its own)")
        if inline_ratios:
            print(f"median ratio without a parse process {statistics.median(inline_ratios):.2f}")
        if options.profile:
            print_profile(options.profile)
    except subprocess.CalledProcessError as error:
        sys.exit(f"a crawl failed ({error}); its log is in {folder}")
    shutil.rmtree(folder, ignore_errors=True)
    if options.fleet:
        print(flush=True)  # before fleet.py writes to the same output
        sys.exit(subprocess.run([sys.executable, str(Path(__file__).with_name("fleet.py"))], check=False).returncode)


if __name__ == "__main__":
    main()
