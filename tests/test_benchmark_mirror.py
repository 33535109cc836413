"""benchmarks/crawl.py's mirror stands in for a live crawl: clones are distinct articles sharing one hot list."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

from crawler.models import Page, ParsedPage
from crawler.sites.registry import builtin_site

ROOT = Path(__file__).resolve().parents[1]


def _crawl_benchmark() -> ModuleType:
    spec = importlib.util.spec_from_file_location("crawl_benchmark", ROOT / "benchmarks" / "crawl.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_clones_are_distinct_articles_whose_sidebar_is_the_seeds(tmp_path: Path) -> None:
    bench = _crawl_benchmark()
    seeds = bench.seed_articles(bench.BUNDLED_PAGES)
    urls = bench.build_mirror(tmp_path, 2 * len(seeds))
    site = builtin_site("hlj_people")

    def parsed(url: str, root: Path) -> ParsedPage:
        path = root / bench.HOST / url.removeprefix(f"http://{bench.HOST}/")
        return site.parse_page(Page(url, path.read_bytes(), {"content-type": "text/html; charset=GB2312"}))

    hot_lists = set()
    for n, url in enumerate(urls):
        seed = seeds[n % len(seeds)]
        seed_url = f"http://{bench.HOST}/{seed.relative_to(bench.BUNDLED_PAGES / bench.HOST).as_posix()}"
        clone, original = parsed(url, tmp_path), parsed(seed_url, bench.BUNDLED_PAGES)
        assert clone.article.url == url != original.article.url  # a clone is an article of its own
        assert clone.article.body == original.article.body
        assert clone.hot_list == original.hot_list  # its sidebar still names the seed, as the live page's does
        hot_lists.add(tuple(clone.hot_list))
    assert len(hot_lists) == 1 and len(next(iter(hot_lists))) == 10
