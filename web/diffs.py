"""What changed between two revisions, paragraph by paragraph, with the changed characters marked."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any

Parts = list[tuple[str, bool]]  # (text, changed) runs of one paragraph


@dataclass
class Change:
    """One changed paragraph: "added", "removed" or "changed", with the old and new text in marked runs."""

    kind: str
    old: Parts
    new: Parts


def paragraphs(revision: dict[str, Any]) -> list[str]:
    """A revision as the paragraphs compared: its headings (pretitle, title, subtitle), then its body's."""
    heads = [f"{key}: {revision[key]}" for key in ("pretitle", "title", "subtitle") if revision.get(key)]
    return heads + [p.strip() for p in (revision.get("body") or "").split("\n") if p.strip()]


def revision_changes(old: dict[str, Any], new: dict[str, Any]) -> list[Change]:
    """The paragraphs that differ between two revisions; a replaced paragraph is compared character by character."""
    before, after = paragraphs(old), paragraphs(new)
    changes: list[Change] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, before, after, autojunk=False).get_opcodes():
        if op == "equal":
            continue
        olds, news = before[i1:i2], after[j1:j2]
        for k in range(max(len(olds), len(news))):
            if k < len(olds) and k < len(news):
                changes.append(Change("changed", *_marked(olds[k], news[k])))
            elif k < len(olds):
                changes.append(Change("removed", [(olds[k], True)], []))
            else:
                changes.append(Change("added", [], [(news[k], True)]))
    return changes


def _marked(old: str, new: str) -> tuple[Parts, Parts]:
    old_parts: Parts = []
    new_parts: Parts = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if old[i1:i2]:
            old_parts.append((old[i1:i2], op != "equal"))
        if new[j1:j2]:
            new_parts.append((new[j1:j2], op != "equal"))
    return old_parts, new_parts
