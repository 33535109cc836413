"""Reporter and editor names from Chinese bylines such as "(记者 李莹莹 杨军)" and "(责编：甲、乙)".

Only reporters count as authors: 通讯员 (correspondents sent in by the subject organisation), 实习生,
photographers and editors are not, so a byline "记者 赵六 通讯员 钱七" yields ["赵六"].
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

__all__ = ["TrailingByline", "parse_editors", "parse_reporters", "parse_trailing_byline", "without_closing_byline"]

_REPORTER_ROLE = re.compile(r"^(?:本报|新华社|人民网|中新网|央视网)?(?:见习|特约|首席)?记者[：:]?")
_OTHER_ROLE = re.compile(r"^(?:通讯员|实习生|摄影|摄像|编辑|责编|责任编辑|校对|制图|供图|报道|整理|编译)[：:]?")
_SINGLE_ROLES = frozenset("摄图文")
_BRACKETED = re.compile(r"[（(]([^（）()]*)(?:[）)]|$)")
_LEADING = re.compile(r"^[\s\u3000]*(?:本报|新华社|人民网)?(?:见习|特约|首席)?记者")
_EDITORS = re.compile(r"(?:责编|责任编辑)\s*[：:]\s*([^（）()\n]*)")
_LIST_SEPARATORS = re.compile(r"[、，,；;/|]+")
_SPACES = re.compile(r"[\s\u3000\xa0]+")
_NAME = re.compile(r"^[\u4e00-\u9fff]{1,4}$|^[\u4e00-\u9fff]+[·•・][\u4e00-\u9fff·•・]+$")
# A byline paragraph of its own: "□ 本报记者 X", "（本报记者 X Y）", "记者 X 通讯员 Y", "文/图 X", "X 摄".
_MARKERS = re.compile(r"^[□■◆◇●○◎★☆▲△▼▽◢◣→\-—─\s\u3000]+")
_WRAPPED = re.compile(r"^[（(【\[](.*)[)）】\]]$")
# 记者 may be glued to the name (本报记者王五); 文, 图 and the like only with a separator, or 文化 would be a role.
_WRITER = re.compile(
    r"^(?:(?:本报|本刊|本台|本网|新华社|人民网|中新网|央视网|[\u4e00-\u9fff]{2,6}?(?:日报|晚报|报|台|社|网))?"
    r"(?:见习|特约|首席|融媒体?)?记者)[：:/／丨|]?"
    r"|^(?:文[/／]图|图[/／]文|文图|图文|撰文|作者|采写|文字|文)(?:[：:/／丨|]|$)"
)
_HELPER = re.compile(r"^(?:通讯员|实习生)[：:/／丨|]?|^(?:摄影|摄像|图片|图)(?:[：:/／丨|]|$)")
_PHOTO_TAIL = frozenset({"摄", "摄影", "/摄"})
_OTHER_TAIL = frozenset({"报道", "采写", "发"})
_BYLINE_SPLIT = re.compile(r"[\s\u3000\xa0、，,；;]+")
_MAX_BYLINE = 40


@dataclass(frozen=True)
class TrailingByline:
    """Reporters a closing paragraph credits, and whether the paragraph is nothing but that credit."""

    names: list[str] = field(default_factory=list)
    byline_only: bool = False


def parse_reporters(text: str) -> list[str]:
    """Reporter names from the bylines in ``text``: bracketed "（记者…）" groups and a leading "本报记者 …"."""
    segments = [m.group(1) for m in _BRACKETED.finditer(text) if "记者" in m.group(1)]
    if _LEADING.match(text):
        segments.append(re.split(r"[（(]", text, maxsplit=1)[0])
    names: list[str] = []
    for segment in segments:
        for name in _reporters_in(segment):
            if name not in names:
                names.append(name)
    return names


def parse_editors(text: str) -> list[str]:
    """Editor names from "(责编：甲、乙)" or "责任编辑：甲"."""
    names: list[str] = []
    for match in _EDITORS.finditer(text):
        for name in _tokens(match.group(1)):
            if _NAME.match(name) and name not in names:
                names.append(name)
    return names


def _reporters_in(segment: str) -> list[str]:
    """Names after a 记者 role word, up to the next role word (通讯员, 摄 …) or the first non-name."""
    found: list[str] = []
    reporting = False
    for token in _tokens(segment):
        role = _REPORTER_ROLE.match(token) or _OTHER_ROLE.match(token)
        if role:
            reporting = role.re is _REPORTER_ROLE
            token = token[role.end():]
        elif token in _SINGLE_ROLES:
            reporting = False
            continue
        if not token or not reporting:
            continue
        if _NAME.match(token) and len(token) >= 2:
            found.append(token)
        else:  # prose, not a byline ("记者从省教育厅获悉"): stop before clauses pass for names
            reporting = False
    return found


def _tokens(text: str) -> list[str]:
    """Words of a byline; people.com.cn pads two-character names with spaces ("方  敏"), so rejoin those."""
    tokens: list[str] = []
    for group in _LIST_SEPARATORS.split(text):
        words = [w.strip("：:") for w in _SPACES.split(group) if w.strip("：:")]
        merged: list[str] = []
        for word in words:
            if len(word) == 1 and merged and len(merged[-1]) == 1 and word not in _SINGLE_ROLES:
                merged[-1] += word
            else:
                merged.append(word)
        tokens.extend(merged)
    return tokens


def parse_trailing_byline(paragraph: str) -> TrailingByline:
    """A closing byline paragraph: its reporters (not 通讯员 or bare photographers) and whether it holds only that."""
    text = _MARKERS.sub("", paragraph.strip()).strip()
    inner = _WRAPPED.match(text)
    text = (inner.group(1) if inner else text).strip()
    if not text or len(text) > _MAX_BYLINE:
        return TrailingByline(parse_reporters(paragraph), False)
    walked = _walk_byline(_BYLINE_SPLIT.split(text))
    if walked is None:
        return TrailingByline(parse_reporters(paragraph), False)
    return TrailingByline(walked, True)


def _walk_byline(tokens: list[str]) -> list[str] | None:
    """Writers named by role words, or None when some token is neither a role, a name nor 摄/报道."""
    writers: list[str] = []
    role, credited, pending = "", False, []
    for token in (t for t in tokens if t):
        for pattern, kind in ((_WRITER, "writer"), (_HELPER, "helper")):
            if match := pattern.match(token):
                role, credited, token = kind, True, token[match.end():]
                break
        if not token:
            continue
        if token in _PHOTO_TAIL or token in _OTHER_TAIL:
            credited, pending = True, []  # bare names before 摄 are photographers, not writers
            continue
        name = token[:-1] if token.endswith("摄") and len(token) > 2 else token
        if not (_NAME.match(name) and len(name) >= 2):
            return None
        if role == "writer" and name not in writers:
            writers.append(name)
        elif not role:
            pending.append(name)
        credited = credited or name != token
    return writers if credited and not pending else None


_EDITOR_LINE = 30  # a "(责编：…)" line after the closing byline is this short


def without_closing_byline(paragraphs: list[str]) -> tuple[list[str], list[str]]:
    """The body without a closing paragraph that is only a byline (maybe before a short editor line); its names."""
    for position in (len(paragraphs) - 1, len(paragraphs) - 2):
        if position < 1 or (position < len(paragraphs) - 1 and len(paragraphs[-1]) > _EDITOR_LINE):
            continue
        closing = parse_trailing_byline(paragraphs[position])
        if closing.byline_only:
            return paragraphs[:position] + paragraphs[position + 1 :], closing.names
    return paragraphs, []
