"""Title, canonical URL, source and authors from meta tags, headings and the byline near the title."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from difflib import SequenceMatcher
from urllib.parse import urljoin

from lxml import html

from crawler.generic.blocks import element_lines, normalize_line

_TITLE_SEPARATORS = re.compile(r"\s*(?:_|\||｜|--|—|–|-|:: )\s*")
_SOURCE = re.compile(r"来源\s*[:：丨|]\s*([^\s|｜丨/\\]{2,30})")
_SOURCE_LABEL = re.compile(r"^\s*来源\s*[:：]\s*")
_AUTHOR_PATTERNS = (
    re.compile(r"电\s*[（(]\s*(?:记者\s*)?([^（）()]{2,30})[)）]"),  # 新华社北京5月19日电（刘艺、杨吉）
    re.compile(r"[（(][^（）()]{0,12}?记者\s*([^（）()]{2,30})[)）]"),  # （总台央视记者 奚丹霓 张赛）
    re.compile(r"(?:作者|撰文|文字|(?<![\u4e00-\u9fff])文)\s*[:：丨|／/]\s*(.{2,60})"),
    re.compile(r"(?:作者|记者)\s+(.{2,40})"),

    re.compile(r"^.{0,12}记者\s*([^，。：:]{2,24})$"),  # 新华社记者邹多为、唐诗凝、丁乐 (a line of its own)
)
# Portals credit the writer in brackets after the source: 出处：腾讯科技（小贝）, 来源：IT之家（软媒 - 暴龙）;
# a bracket repeating the source (新浪科技（新浪科技）) names no one.
_SOURCE_CREDIT = re.compile(
    r"(?:来源|出处|稿源)\s*[:：]\s*([^（(\s]{2,20})\s*[（(](?:[^（）()]{0,12}?\s[-－—–]\s)?([^（）()\-－—–]{2,12})[)）]"
)
_TRAILING_CREDIT = re.compile(r"[（(]([\u4e00-\u9fff]{2,4}(?:[、 ][\u4e00-\u9fff]{2,4})*)[)）]\s*$")
# Where a byline's names end: other labels, page tools (字号 大 中 小, 浏览次数) and digits.
_NAME_STOP = re.compile(
    r"来源|责任编辑|责编|编辑|选稿|摄|发布|时间|原标题|字号|浏览|阅读|点击|打印|分享|\d|[（()）\[\]【】|｜]"
)
_PHOTO_CREDIT = re.compile(r"^[^，。]{0,20}?摄")
_NAME_SPLIT = re.compile(r"[、，,;；\s]+")
_ROLE_PREFIX = re.compile(r"^.*(?:记者|评论员|研究员|通讯员|撰稿人)")
_PERSON = re.compile(r"[\u4e00-\u9fff]{2,4}|[\u4e00-\u9fff]{1,4}·[\u4e00-\u9fff]{1,8}")
_ORGANISATION = re.compile(r"(?:报|社|网|台|刊|新闻|中心|公司|集团|账号|编辑部|客户端)$")
_HEADLINE_XPATHS = ("//h1", "//*[contains(@class,'title') or contains(@id,'title')]", "//h2", "//h3")
_NOT_NAMES = {
    "来源", "编辑", "责任编辑", "责编", "发布", "时间", "本报", "通讯员", "摄影", "报道", "完", "供图", "综合",
    "查看更多",
}


def meta_content(root: html.HtmlElement, *names: str) -> str:
    """First non-empty <meta> content whose name/property/itemprop is one of ``names`` (case-insensitive)."""
    wanted = {n.lower() for n in names}
    for meta in root.iter("meta"):
        key = (meta.get("property") or meta.get("name") or meta.get("itemprop") or "").strip().lower()
        if key in wanted and (meta.get("content") or "").strip():
            return meta.get("content").strip()
    return ""


def json_ld_objects(root: html.HtmlElement) -> Iterator[dict]:
    """Objects of every JSON-LD script, flattened out of lists and @graph."""
    for script in root.xpath('//script[@type="application/ld+json"]'):
        try:
            data = json.loads(script.text_content().strip() or "null")
        except ValueError:
            continue
        stack = [data]
        while stack:
            item = stack.pop()
            if isinstance(item, list):
                stack.extend(item)
            elif isinstance(item, dict):
                stack.extend(v for k, v in item.items() if k == "@graph")
                yield item


def document_title(root: html.HtmlElement) -> str:
    """The <title> text."""
    node = root.find(".//title")
    return normalize_line(node.text_content()) if node is not None else ""


def strip_site_suffix(title: str) -> str:
    """``标题_新闻_人民网`` -> ``标题``: keep everything up to the longest separator-delimited segment."""
    head = max(_TITLE_SEPARATORS.split(title), key=len)
    return title[: title.find(head) + len(head)].strip(" _|-｜")


def find_headline(cleaned: html.HtmlElement, title: str) -> html.HtmlElement | None:
    """The heading element that shows ``title``."""
    if not title:
        return None
    for xpath in _HEADLINE_XPATHS:
        for node in cleaned.xpath(xpath):
            if title in _heading_texts(node):
                return node
    return None


def headline_candidates(root: html.HtmlElement) -> list[str]:
    """Visible headings that could be the headline, best-placed first."""
    found = []
    for xpath in _HEADLINE_XPATHS:
        for node in root.xpath(xpath):
            for text in _heading_texts(node):
                if 2 <= len(text) <= 120 and text not in found:
                    found.append(text)
    return found


def _heading_texts(node: html.HtmlElement) -> list[str]:
    """A heading's whole text and, when it wraps a byline too, its first line."""
    whole = normalize_line(node.text_content())
    lines = element_lines(node)
    return [whole, lines[0]] if lines and lines[0] != whole else [whole]


def parse_title(root: html.HtmlElement, cleaned: html.HtmlElement) -> str:
    """The heading that best matches og:title/<title>; else those with site suffixes stripped."""
    references = [t for t in (meta_content(root, "og:title", "twitter:title"), document_title(root)) if t]
    candidates = headline_candidates(cleaned)
    best, best_ratio = "", 0.0
    for candidate in candidates:
        for reference in references:
            ratio = _match(candidate, reference)
            if ratio > best_ratio + 1e-9:
                best, best_ratio = candidate, ratio
    if best and best_ratio >= 0.5:
        return best
    h1s = [t for t in (normalize_line(h.text_content()) for h in cleaned.iter("h1")) if len(t) >= 4]
    if len(h1s) == 1 and not any(_has_headline(r) for r in references):
        return h1s[0]
    for reference in references:
        if strip_site_suffix(reference):
            return strip_site_suffix(reference)
    return candidates[0] if candidates else ""


def _has_headline(reference: str) -> bool:
    """False for a <title> that is only a site name (``-铜雀历史网``)."""
    return not _TITLE_SEPARATORS.match(reference) and len(_TITLE_SEPARATORS.split(reference)) > 1


def _match(candidate: str, reference: str) -> float:
    """How well a heading explains a page title: containment counts fully, otherwise sequence similarity."""
    if candidate in reference:
        headline = strip_site_suffix(reference)
        leading = 0.3 if headline.startswith(candidate) else 0.0  # the headline opens the <title>; names follow
        return len(candidate) / max(len(headline), len(candidate)) + 0.5 + leading
    return SequenceMatcher(None, candidate, reference).ratio()


def canonical_url(root: html.HtmlElement, url: str) -> str:
    """<link rel=canonical>, else og:url, else the fetched URL; always absolute."""
    for link in root.xpath('//link[@href]'):
        if "canonical" in (link.get("rel") or "").lower().split():
            return urljoin(url, link.get("href").strip())
    og_url = meta_content(root, "og:url")
    return urljoin(url, og_url) if og_url.startswith(("http", "/")) else url


def parse_source(lines: list[str], root: html.HtmlElement) -> str:
    """The 来源 of the byline, else a ``source`` meta tag."""
    for line in lines:
        match = _SOURCE.search(line)
        if match:
            return match.group(1).strip("：:，,。")
    return _SOURCE_LABEL.sub("", meta_content(root, "source"))


def parse_authors(lines: list[str], trailers: list[str] | None = None) -> list[str]:
    """Writers named in the byline lines (作者/记者/文丨, a dateline's parentheses), else a trailing (name) credit."""
    for line in lines:
        for pattern in _AUTHOR_PATTERNS:
            for match in pattern.finditer(line):
                names = _names(match.group(1))
                if names:
                    return names
    for line in lines:
        credit = _SOURCE_CREDIT.search(line)
        if credit and credit.group(2).strip() != credit.group(1).strip() and (names := _names(credit.group(2))):
            return names
    for line in trailers or []:
        match = _TRAILING_CREDIT.search(line)
        if match and (names := _names(match.group(1))):
            return names
    return []


def _names(text: str) -> list[str]:
    """Person names in a byline fragment: stop at 来源/编辑/dates, split, drop roles and organisations."""
    if _PHOTO_CREDIT.match(text):
        return []
    text = _NAME_STOP.split(text, maxsplit=1)[0]
    tokens = [t for t in _NAME_SPLIT.split(text) if t]
    merged: list[str] = []
    for token in tokens:  # "方 敏": single characters spaced out for layout belong together
        if len(token) == 1 and merged and len(merged[-1]) == 1:
            merged[-1] += token
        else:
            merged.append(token)
    names = [_ROLE_PREFIX.sub("", t) for t in merged]
    return [n for n in names if _PERSON.fullmatch(n) and n not in _NOT_NAMES and not _ORGANISATION.search(n)]
