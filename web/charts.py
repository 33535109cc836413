"""Rank-over-time charts as plain data a template draws as SVG: one line per story, broken where it left the list."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

WIDTH, LEFT, RIGHT, TOP, ROW = 760, 36, 200, 16, 22  # px of the viewBox: plot width, margins, one rank's height
MAX_STORIES = 20  # the best-ranked stories of the period; more lines would be unreadable
COLORS = ("#c0392b", "#2471a3", "#229954", "#b9770e", "#7d3c98", "#17a589", "#a04000", "#2e4053", "#d4ac0d",
          "#cb4335")


@dataclass
class Line:
    """One story: its link target, title, colour, drawn segments ("x,y x,y …") and dots."""

    url: str
    title: str
    color: str
    best_rank: int
    segments: list[str] = field(default_factory=list)
    dots: list[tuple[float, float, int, datetime]] = field(default_factory=list)
    label: tuple[float, float] = (0.0, 0.0)  # where its legend row starts


@dataclass
class Chart:
    """A chart's size, axis ticks and lines."""

    width: int
    height: int
    lines: list[Line]
    ranks: list[tuple[int, float]]  # (rank, y) gridlines
    times: list[tuple[datetime, float, str]]  # (time, x, text-anchor) ticks
    stories: int  # stories in the period (lines shows at most MAX_STORIES)
    snapshots: int


def rank_chart(entries: list[dict[str, Any]], only: str | None = None) -> Chart | None:
    """The chart of hot-list entries (captured_at, rank, title, url); only: draw just this story's line."""
    if not entries:
        return None
    captures = sorted({e["captured_at"] for e in entries})
    by_story: dict[str, dict[datetime, dict[str, Any]]] = defaultdict(dict)
    for entry in entries:
        by_story[entry["url"]][entry["captured_at"]] = entry
    chosen = [only] if only is not None else sorted(by_story, key=lambda url: (
        min(e["rank"] for e in by_story[url].values()), min(by_story[url])))[:MAX_STORIES]
    chosen = [url for url in chosen if url in by_story]
    max_rank = max(e["rank"] for url in chosen for e in by_story[url].values())
    x_of, y_of = _scales(captures, max_rank)
    lines = [_line(url, by_story[url], captures, x_of, y_of, COLORS[i % len(COLORS)]) for i, url in enumerate(chosen)]
    # A legend row per story in the right margin, best rank first: labels at the lines' ends would collide.
    for row, line in enumerate(lines, 1):
        line.label = (LEFT + WIDTH + 18, y_of(row) + 4)
    rows = max(max_rank, len(lines))
    ticks = [captures[0], captures[-1]] if len(captures) > 1 else [captures[0]]
    if len(captures) > 4:
        ticks.insert(1, captures[len(captures) // 2])
    step = 1 if max_rank <= 20 else 5
    ranks = sorted({1, *range(step, max_rank + 1, step)})
    return Chart(LEFT + WIDTH + RIGHT, TOP * 2 + ROW * rows + 20, lines, [(r, y_of(r)) for r in ranks],
                 [(t, x_of(t), _anchor(i, len(ticks))) for i, t in enumerate(ticks)], len(by_story), len(captures))


def _anchor(index: int, count: int) -> str:
    """Tick labels at the plot's edges hang inwards, so they are never cut off."""
    return "start" if index == 0 else "end" if index == count - 1 else "middle"


def _scales(captures: list[datetime], max_rank: int) -> tuple[Any, Any]:
    first, span = captures[0], (captures[-1] - captures[0]).total_seconds() or 1.0

    def x_of(moment: datetime) -> float:
        return round(LEFT + WIDTH * (moment - first).total_seconds() / span, 1)

    def y_of(rank: int) -> float:
        return round(TOP + ROW * (rank - 0.5), 1)

    return x_of, y_of


def _line(url: str, seen: dict[datetime, dict[str, Any]], captures: list[datetime], x_of: Any, y_of: Any,
          color: str) -> Line:
    latest = seen[max(seen)]
    line = Line(url, latest["title"], color, min(e["rank"] for e in seen.values()))
    run: list[str] = []
    for moment in captures:  # a capture without the story ends its current segment
        entry = seen.get(moment)
        if entry is None:
            line.segments += [" ".join(run)] if len(run) > 1 else []
            run = []
            continue
        x, y = x_of(moment), y_of(entry["rank"])
        run.append(f"{x},{y}")
        line.dots.append((x, y, entry["rank"], moment))
    line.segments += [" ".join(run)] if len(run) > 1 else []
    return line
