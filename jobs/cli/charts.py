"""`hljnews hot --chart`: rank over time, one line per story, drawn with matplotlib (an optional extra)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

CHART_FORMATS = (".png", ".svg")  # by the file's suffix


def draw_chart(entries: list[dict[str, Any]], path: Path, site: str) -> str:
    """Rank over time, one line per story; returns a one-line report (including any font fallback)."""
    try:
        import matplotlib
    except ImportError:
        raise click.ClickException("--chart needs matplotlib: pip install matplotlib") from None
    matplotlib.use("Agg")
    from matplotlib import font_manager
    from matplotlib import pyplot as plt

    cjk = [f.name for f in font_manager.fontManager.ttflist
           if any(k in f.name for k in ("Noto Sans CJK", "Noto Serif CJK", "WenQuanYi", "Source Han", "SimHei"))]
    if cjk:
        plt.rcParams["font.family"] = cjk[0]
    stories: dict[str, list[dict[str, Any]]] = {}
    for entry in entries:
        stories.setdefault(entry["url"], []).append(entry)
    best = sorted(stories.values(), key=lambda points: min(p["rank"] for p in points))[:15]
    figure, axes = plt.subplots(figsize=(12, 6))
    for points in best:
        label = points[-1]["title"][:20] if cjk else f"#{min(p['rank'] for p in points)} {points[-1]['url'][-40:]}"
        axes.plot([p["captured_at"] for p in points], [p["rank"] for p in points], marker="o", label=label)
    axes.invert_yaxis()
    axes.set(xlabel="captured at (+08:00)", ylabel="rank", title=f"{site} hot list")
    axes.legend(fontsize="small", loc="center left", bbox_to_anchor=(1, 0.5))
    figure.autofmt_xdate()
    figure.savefig(path, format=path.suffix.lower().lstrip("."), bbox_inches="tight")
    plt.close(figure)
    note = "" if cjk else " (no CJK font installed: stories labelled by best rank and URL; apt install fonts-noto-cjk)"
    return f"wrote {path}: {len(best)} stories{note}"
