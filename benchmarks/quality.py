"""Extraction quality on benchmarks/data/zh-dev: our generic extractor against trafilatura and readability-lxml.

Run: ``.venv/bin/python benchmarks/quality.py [--check] [--json] [--verbose] [--only FILE...]``
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from crawler.errors import ParseError  # noqa: E402
from crawler.generic import extract_article  # noqa: E402
from crawler.generic.blocks import element_lines  # noqa: E402
from crawler.models import Page  # noqa: E402
from crawler.text.decoding import decode_html  # noqa: E402

DATA = ROOT / "benchmarks" / "data" / "zh-dev"
PARTS = ("tuning", "held-out", "all")
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af"
# One token per CJK character (Chinese has no spaces), other tokens are runs of word characters as in the
# article-extraction-benchmark's \w+ tokenizer.
_TOKEN = re.compile(rf"[{_CJK}]|(?:(?![{_CJK}])\w)+")
_SHINGLE = 4


def tokenize(text: str) -> list[str]:
    """Benchmark tokens: CJK characters one by one, other words whole."""
    return _TOKEN.findall(text or "")


def shingles(text: str) -> Counter:
    """Counts of 4-token shingles (a shorter text is one shingle), as the benchmark's ``_ngrams``."""
    tokens = tokenize(text)
    return Counter(tuple(tokens[i : i + _SHINGLE]) for i in range(max(1, len(tokens) - _SHINGLE + 1)) if tokens)


def shingle_match(true: str, pred: str) -> tuple[float, float, float]:
    """The benchmark's per-page (tp, fp, fn) over shingle counts, normalised to sum 1 so pages weigh equally."""
    expected, got = shingles(true), shingles(pred)
    tp = sum((expected & got).values())
    fp = sum((got - expected).values())
    fn = sum((expected - got).values())
    total = tp + fp + fn
    return (tp / total, fp / total, fn / total) if total else (0.0, 0.0, 0.0)


def body_scores(matches: list[tuple[float, float, float]]) -> tuple[float, float, float]:
    """Mean precision over pages with output, mean recall over pages with a label, F1 of those two means."""
    precisions = [tp / (tp + fp) for tp, fp, _ in matches if tp + fp > 0]
    recalls = [tp / (tp + fn) for tp, _, fn in matches if tp + fn > 0]
    precision = statistics.mean(precisions) if precisions else 0.0
    recall = statistics.mean(recalls) if recalls else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def normalize(text: str | None) -> str:
    """Whitespace runs (incl. full-width) to one space, trimmed."""
    return re.sub(r"[\s\u3000\u00a0]+", " ", text or "").strip()


def date_matches(label: str | None, found: str | None) -> bool:
    """Exact at the label's precision: ``YYYY-MM-DD HH:MM`` labels need the minute, date labels the day."""
    if label is None or found is None:
        return label == found
    return found[: len(label)] == label


def format_date(value) -> str | None:
    """A datetime (or ISO-ish string) as ``YYYY-MM-DD HH:MM``, or ``YYYY-MM-DD`` when it has no clock time."""
    if value is None:
        return None
    if isinstance(value, str):
        return value[:16].replace("T", " ") if value else None
    return value.strftime("%Y-%m-%d") if (value.hour, value.minute) == (0, 0) else value.strftime("%Y-%m-%d %H:%M")


def run_ours(html: str, raw: bytes, url: str) -> dict:
    """Our generic extractor on the raw bytes."""
    try:
        article = extract_article(Page(url, raw))
    except ParseError:
        return {"body": "", "title": None, "date": None, "authors": []}
    return {"body": article.body, "title": article.title, "date": format_date(article.published_at),
            "authors": article.authors}


def run_trafilatura(html: str, raw: bytes, url: str) -> dict:
    """``trafilatura.extract`` with defaults; title/date/author from ``extract_metadata``."""
    import trafilatura

    body = trafilatura.extract(html) or ""
    meta = trafilatura.extract_metadata(html, default_url=url)
    authors = re.split(r"\s*[;；,，]\s*", meta.author) if meta and meta.author else []
    return {"body": body, "title": meta.title if meta else None, "date": meta.date if meta else None,
            "authors": authors}


def run_readability(html: str, raw: bytes, url: str) -> dict:
    """readability-lxml: ``summary()`` text, ``short_title()`` as title; no date or author."""
    from lxml import html as lxml_html
    from readability import Document

    document = Document(html)
    summary = document.summary()
    body = "\n".join(element_lines(lxml_html.fromstring(summary))) if summary.strip() else ""
    return {"body": body, "title": document.short_title() or document.title(), "date": None, "authors": None}


TOOLS: dict[str, Callable[[str, bytes, str], dict]] = {
    "hljnews": run_ours, "trafilatura": run_trafilatura, "readability": run_readability,
}


def load() -> tuple[dict, dict]:
    """Ground truth (body labels) and our hand-checked labels (title/date/author and the split)."""
    truth = json.loads((DATA / "ground_truth.json").read_text(encoding="utf-8"))
    labels = json.loads((DATA / "labels.json").read_text(encoding="utf-8"))
    return truth, labels


def evaluate(names: list[str], truth: dict, labels: dict) -> dict:
    """Per tool and page: outputs, shingle matches and field hits; plus total time per tool."""
    results: dict = {tool: {"pages": {}, "seconds": 0.0} for tool in TOOLS}
    for name in names:
        raw = (DATA / name).read_bytes()
        url = truth[name]["url"]
        html = decode_html(raw, {})
        label = labels["pages"][name]
        for tool, run in TOOLS.items():
            started = time.perf_counter()
            out = run(html, raw, url)
            results[tool]["seconds"] += time.perf_counter() - started
            results[tool]["pages"][name] = {
                "match": shingle_match(truth[name]["content"], out["body"]),
                "title": normalize(out["title"]) == normalize(label["title"]),
                "date": date_matches(label["date"], out["date"]),
                "day": date_matches(label["date"] and label["date"][:10], out["date"] and out["date"][:10]),
                "author": None if out["authors"] is None else sorted(out["authors"]) == sorted(label["authors"] or []),
                "found": {"title": out["title"], "date": out["date"], "authors": out["authors"]},
            }
    return results


def summarize(results: dict, names: list[str], held_out: set[str]) -> list[dict]:
    """One row per tool and part."""
    rows = []
    parts = {"tuning": [n for n in names if n not in held_out], "held-out": [n for n in names if n in held_out],
             "all": names}
    for tool, data in results.items():
        for part, members in parts.items():
            pages = [data["pages"][n] for n in members if n in data["pages"]]
            if not pages:
                continue
            precision, recall, f1 = body_scores([p["match"] for p in pages])
            authors = [p["author"] for p in pages if p["author"] is not None]
            rows.append({
                "tool": tool, "part": part, "pages": len(pages), "body_p": precision, "body_r": recall, "body_f1": f1,
                "title": _share(p["title"] for p in pages), "date": _share(p["date"] for p in pages),
                "day": _share(p["day"] for p in pages),
                "author": _share(authors) if authors else None,
                "pages_per_s": len(data["pages"]) / data["seconds"] if data["seconds"] else 0.0,
            })
    return rows


def _share(flags) -> float:
    flags = list(flags)
    return sum(flags) / len(flags) if flags else 0.0


def print_table(rows: list[dict]) -> None:
    """Plain-text table: tool x part."""
    header = (
        f"{'tool':<12} {'part':<9} {'n':>3}  {'P':>5} {'R':>5} {'F1':>5}  {'title':>6} {'date':>6} {'day':>6} "
        f"{'author':>6}  {'pages/s':>7}"
    )
    print(header)
    print("-" * len(header))
    for row in rows:
        author = f"{row['author']:6.1%}" if row["author"] is not None else f"{'—':>6}"
        date = f"{row['date']:6.1%} {row['day']:6.1%}" if row["tool"] != "readability" else f"{'—':>6} {'—':>6}"
        print(f"{row['tool']:<12} {row['part']:<9} {row['pages']:>3}  {row['body_p']:.3f} {row['body_r']:.3f} "
              f"{row['body_f1']:.3f}  {row['title']:6.1%} {date} {author}  {row['pages_per_s']:7.1f}")


def print_pages(results: dict, truth: dict, labels: dict) -> None:
    """Per-page body F1 of every tool and our field misses, for tuning."""
    for name in results["hljnews"]["pages"]:
        cells = []
        for tool, data in results.items():
            precision, recall, f1 = body_scores([data["pages"][name]["match"]])
            cells.append(f"{tool[:5]} {f1:.2f}({precision:.2f}/{recall:.2f})")
        ours = results["hljnews"]["pages"][name]
        misses = [f"{field}={ours['found'][key]!r} want {labels['pages'][name][key]!r}"
                  for field, key in (("title", "title"), ("date", "date"), ("author", "authors"))
                  if ours[field if field != "author" else "author"] is False]
        held = "H" if name in set(labels["split"]["held_out"]) else " "
        print(f"{held} {name[:38]:<38} " + "  ".join(cells) + ("  | " + "; ".join(misses) if misses else ""))


def main(argv: list[str] | None = None) -> int:
    """Score all tools, print the table; with --check fail unless we lead on body F1 and dates reach 95%."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 unless ours leads on body F1 and dates >= 95%%")
    parser.add_argument("--json", action="store_true", help="print the rows as JSON instead of a table")
    parser.add_argument("--verbose", action="store_true", help="also print per-page scores and our field misses")
    parser.add_argument("--only", nargs="*", help="score only these page files")
    args = parser.parse_args(argv)
    truth, labels = load()
    names = sorted(args.only or truth)
    results = evaluate(names, truth, labels)
    rows = summarize(results, names, set(labels["split"]["held_out"]))
    if args.verbose:
        print_pages(results, truth, labels)
    if args.json:
        print(json.dumps(rows, indent=1))
    else:
        print_table(rows)
    if args.check:
        return _check(rows)
    return 0


def _check(rows: list[dict]) -> int:
    overall = {row["tool"]: row for row in rows if row["part"] == "all"}
    ours = overall["hljnews"]
    problems = [f"body F1 {ours['body_f1']:.3f} not above {tool} {row['body_f1']:.3f}"
                for tool, row in overall.items() if tool != "hljnews" and row["body_f1"] >= ours["body_f1"]]
    if ours["date"] < 0.95:
        problems.append(f"dates {ours['date']:.1%} < 95%")
    for problem in problems:
        print(f"check failed: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
