"""人民网黑龙江频道 (hlj.people.com.cn), and any people.com.cn page: articles, hot lists, channel lists.

Parsed with lxml.html and XPath: several times faster than BeautifulSoup and free of parsel's selector
wrapping, which matters for the ≥5× trafilatura throughput target; the people.com.cn templates are stable
enough for fixed XPaths.

Templates: 2020+ ``rm_txt`` (``div.rm_txt_con``), 2016–2019 ``box_con``/``#rwb_zw`` (multi-page via
``div.zdfy``) and the health-channel variant (``div.artDet``). Article URLs are normalised to ``http``
without query or fragment, and page N of an article is canonicalised to page 1.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urljoin, urlsplit

from lxml import html

from crawler.errors import ParseError, UnknownTemplate
from crawler.models import Article, Channel, HotEntry, Image, ListPage, Page
from crawler.sites.base import Site
from crawler.sites.common import MetaTags, join_url, text_of, unique, xpath
from crawler.text.bylines import parse_editors, parse_reporters, without_closing_byline
from crawler.text.clean import element_lines, normalize_space
from crawler.text.dates import parse_datetime
from crawler.urls import following_pages, host_in

__all__ = ["CHANNELS", "HljPeople"]

CHANNELS = {"220027": "省内要闻", "220024": "专稿", "220075": "地方视窗", "338553": "社会政法"}

_ARTICLE_PATH = re.compile(r"^/n\d?/\d{4}/\d{4}/c(?P<channel>\d+)-(?P<content>\d+)(?:-(?P<page>\d+))?\.html$")
# Before 2012 articles lived under their channel: /GB/{channel}/{content id}.html (read by the generic extractor).
_OLD_ARTICLE_PATH = re.compile(r"^/GB/(?:\d+/)*(?P<channel>\d+)/(?P<content>\d{5,})\.html$")
# Template parts as (landmark, XPath relative to it): a landmark is the first <div> with that class or id,
# found in one pass over the page, so no query scans the whole document more than once.
Selectors = tuple[tuple[str, str], ...]
_BODY: Selectors = (("rm_txt_con", "."), ("rwb_zw", "."), ("box_con", "."), ("p_content", "."), ("artDet", "."))
# descendant::x rather than .//x: libxml2 evaluates .//x[…] two to three times slower, for the same elements.
_TITLE: Selectors = (("rm_txt", "descendant::h1"), ("text_title", "descendant::h1"),
                     ("articleCont", "./div[@class='title']/h2"))
_PRETITLE: Selectors = (("rm_txt", "descendant::h3[@class='pre']"), ("text_title", "./h3"),
                        ("articleCont", "./div[@class='title']/h4"))
_SUBTITLE: Selectors = (("rm_txt", "descendant::h4[@class='sub']"), ("text_title", "./h4"),
                        ("articleCont", "./div[@class='title']/h3"))
_DATELINE: Selectors = (("rm_txt", "descendant::div[contains(@class,'col-1-1')]"), ("box01", "./div[@class='fl']"),
                        ("artOri", "."))
_AUTHOR: Selectors = (("rm_txt", "descendant::div[contains(@class,'author')]"),
                      ("text_title", "descendant::p[@class='author']"))
_LANDMARKS = frozenset(key for selectors in (_BODY, _TITLE, _DATELINE, (("editor", "."),)) for key, _ in selectors)
_EDITOR = "descendant::div[contains(@class,'edit')]"
# Blocks inside the body container that are not the story: editor line, share line, print-edition note,
# QR-code promos, the pager and the "next page" table.
_NOT_BODY = ("script", "style", "noscript", "div[contains(@class,'edit')]", "p[contains(@class,'paper_num')]",
             "p[descendant::span[@id='paper_num']]", "div[contains(@class,'tjewm')]", "div[contains(@class,'zdfy')]",
             "center", "*[contains(@class,'section-common-share-wrap')]")
_BOILERPLATE = re.compile(
    r"^(?:分享让更多人看到|[(（]?\s*责编[：:]|点击进入.*>>$|《\s*人民日报\s*》\s*[（(].*版\s*[）)]$)"
)
_HOT_HEADINGS = frozenset({"热门排行", "热点排行", "热门点击排行榜", "点击排行", "排行榜"})
_CAPTION = re.compile(r"^图为|^图[：:]|摄$|供图|图片来源")


class HljPeople(Site):
    """人民网黑龙江频道 and any people.com.cn page of the same templates."""

    key = "hlj_people"
    name = "人民网黑龙江频道"
    allowed_domains = ("people.com.cn",)
    start_urls = tuple(f"http://hlj.people.com.cn/GB/{channel_id}/index.html" for channel_id in CHANNELS)
    sample_urls = ("http://hlj.people.com.cn/GB/220027/index.html",
                   "http://hlj.people.com.cn/n2/2021/0716/c220027-34832561.html")
    list_path = re.compile(r"^/(?:GB/(?:\d+/)+(?:index(?P<page>\d*)\.html)?)?$")

    def is_article_url(self, url: str) -> bool:
        """Page 1 of a people.com.cn article (``/n2/YYYY/MMDD/c{channel}-{content}.html``, also /n1/)."""
        match = _article_match(url)
        return match is not None and match.groupdict().get("page") is None

    def is_list_url(self, url: str) -> bool:
        """A people.com.cn channel list (``/GB/{channel}/index.html``, ``index2.html`` …) or a channel home."""
        parts = urlsplit(url)
        return host_in(parts.hostname, self.allowed_domains) and self.list_path.match(parts.path or "/") is not None

    def is_article_path(self, path: str) -> bool:
        return bool(_ARTICLE_PATH.match(path) or _OLD_ARTICLE_PATH.match(path))

    def article(self, root: html.HtmlElement, page: Page, listing: ListPage | None) -> Article | None:
        """The article of a page showing one of the known templates' title or body landmarks."""
        scan = _scan(root)
        if not scan.marks.keys() & {key for key, _ in (*_BODY, *_TITLE)}:
            return None
        return _article(root, scan, page, self.normalize_url)

    def hot_list(self, root: html.HtmlElement, url: str) -> list[HotEntry]:
        return _hot_list(root, url)


@dataclass(frozen=True)
class _Scan:
    """What the article needs from the whole page, found in one walk of its <div>, <meta> and <link> tags."""

    marks: dict[str, html.HtmlElement]  # the first <div> of each landmark class or id
    pagers: list[html.HtmlElement]  # <div>s of class *zdfy* (the "下一页" block), none inside another
    metas: MetaTags
    canonical: list[str]  # href of each <link rel=canonical> (rel in any case)


def _scan(root: html.HtmlElement) -> _Scan:
    marks: dict[str, html.HtmlElement] = {}
    pagers: list[html.HtmlElement] = []
    metas: list[html.HtmlElement] = []
    canonical: list[str] = []
    for element in root.iter("div", "meta", "link"):
        if element.tag == "div":
            classes = element.get("class")
            if classes:
                for key in _LANDMARKS.intersection(classes.split()):
                    marks.setdefault(key, element)
                if "zdfy" in classes and not any(pager in pagers for pager in element.iterancestors("div")):
                    pagers.append(element)
            ident = element.get("id")
            if ident in _LANDMARKS:
                marks.setdefault(ident, element)
        elif element.tag == "meta":
            metas.append(element)
        else:
            rel, href = element.get("rel"), element.get("href")
            if rel is not None and href is not None and rel.translate(_UPPER_CANONICAL) == "canonical":
                canonical.append(href)
    return _Scan(marks, pagers, MetaTags(metas), canonical)


_UPPER_CANONICAL = str.maketrans("CANOIL", "canoil")  # XPath translate(@rel,'CANONICAL','canonical') as before


def _all(marks: dict[str, html.HtmlElement], selectors: Selectors) -> list[html.HtmlElement]:
    found: list[html.HtmlElement] = []
    for key, expression in selectors:
        if key in marks:
            found.extend([marks[key]] if expression == "." else xpath(expression)(marks[key]))
    return found


def _first(marks: dict[str, html.HtmlElement], selectors: Selectors) -> html.HtmlElement | None:
    found = _all(marks, selectors)
    return found[0] if found else None


def _text(marks: dict[str, html.HtmlElement], selectors: Selectors) -> str:
    element = _first(marks, selectors)
    return normalize_space(element.text_content()) if element is not None else ""


# -- articles --------------------------------------------------------------------------------------------


def _article(root: html.HtmlElement, scan: _Scan, page: Page, normalize_url: Callable[[str], str]) -> Article:
    marks = scan.marks
    title = _text(marks, _TITLE)
    if not title:
        raise UnknownTemplate(page.url, "article page without a title")
    url = normalize_url(page.url)
    hrefs = (a.get("href") for div in scan.pagers for a in div.iterdescendants("a") if a.get("href") is not None)
    pager = (normalize_url(join_url(url, href.strip())) for href in hrefs)
    page_urls = following_pages(pager, _content_page, url)  # before _body drops the pager from the tree
    container = _first(marks, _BODY)
    if container is not None:
        editor_lines = [*xpath(_EDITOR)(container), *([marks["editor"]] if "editor" in marks else [])]
        editors = parse_editors(" ".join(normalize_space(e.text_content()) for e in editor_lines))
        paragraphs, images = _body(container, page.url, title)
    else:
        editors, paragraphs, images = [], [], []
    if not paragraphs:
        raise ParseError(page.url, "article page without body text")
    paragraphs, closing = without_closing_byline(paragraphs)  # "□ 本报记者 X" as the last paragraph
    dateline_element = _first(marks, _DATELINE)
    dateline = normalize_space(dateline_element.text_content()) if dateline_element is not None else ""
    return Article(
        url=page.url, canonical_url=_canonical_url(scan.canonical, url, normalize_url), site=HljPeople.key,
        title=title, body="\n".join(paragraphs),
        published_at=_published_at(scan.metas, dateline, page.fetched_at), pretitle=_text(marks, _PRETITLE),
        subtitle=_text(marks, _SUBTITLE), source=_source(scan.metas, dateline_element, dateline),
        authors=unique([*_authors(marks, paragraphs), *closing]),
        editors=editors, channel=_channel(root, scan.metas, url), content_id=_content_id(scan.metas, url),
        images=images, page_urls=page_urls,
    )


def _body(container: html.HtmlElement, url: str, title: str) -> tuple[list[str], list[Image]]:
    for junk in xpath(" | ".join(f"descendant::{expression}" for expression in _NOT_BODY))(container):
        junk.drop_tree()
    paragraphs: list[str] = []
    images: list[Image] = []
    blocks = xpath("descendant::p")(container) or [container]
    for block in blocks:
        images.extend(_images(block, url, title))
        if _is_link_only(block):  # "点击进入…>>", related-story links
            continue
        paragraphs.extend(line for line in element_lines(block) if not _BOILERPLATE.match(line))
    return paragraphs, list(dict.fromkeys(images))


def _is_link_only(block: html.HtmlElement) -> bool:
    links = list(block.iterdescendants("a"))  # per paragraph, an XPath call would cost more than the walk
    if not links:
        return False
    text = normalize_space(text_of(block))
    return bool(text) and normalize_space("".join(text_of(a) for a in links)) == text


def _images(block: html.HtmlElement, url: str, title: str) -> list[Image]:
    found = []
    for img in block.iterdescendants("img"):
        if img.get("src") is None:
            continue
        src = join_url(url, img.get("src").strip())
        if not src.startswith("http") or urlsplit(src).path.startswith("/img/"):  # template icons and logos
            continue
        found.append(Image(src, _caption(img, block, title)))
    return found


def _caption(img: html.HtmlElement, block: html.HtmlElement, title: str) -> str:
    alt = normalize_space(img.get("alt"))
    if alt and alt != title:
        return alt
    own_text = normalize_space(text_of(block))
    if own_text and _CAPTION.search(own_text):
        return own_text
    following = block.getnext()
    if following is not None and following.tag == "p" and next(following.iterdescendants("img"), None) is None:
        text = normalize_space(text_of(following))
        if text and len(text) <= 120 and _CAPTION.search(text):
            return text
    return ""


def _published_at(metas: MetaTags, dateline: str, fetched_at: datetime | None) -> datetime | None:
    """The visible dateline has the minute; meta publishdate has the date and anchors a year-less dateline."""
    meta = parse_datetime(metas.text("publishdate"))
    reference = meta + timedelta(days=1) if meta else fetched_at
    visible = parse_datetime(dateline, reference=reference) if dateline else None
    return visible or meta


def _source(metas: MetaTags, element: html.HtmlElement | None, dateline: str) -> str:
    """The dateline's "来源：" link (or text after it), else meta ``source``."""
    if element is not None and "来源" in dateline:
        links = element.findall(".//a")
        after = dateline.split("来源", 1)[1]
        shown = _clean_source(links[0].text_content() if links else after.split(" ")[0] if after else "")
        if shown:
            return shown
    return _clean_source(metas.text("source"))


def _clean_source(text: str) -> str:
    return normalize_space(re.sub(r"^\s*来源\s*[：:]?", "", text)).removesuffix(" 原创稿")


def _authors(marks: dict[str, html.HtmlElement], paragraphs: list[str]) -> list[str]:
    bylines = [normalize_space(e.text_content()) for e in _all(marks, _AUTHOR)]
    return unique(name for text in [*bylines, *paragraphs[:2], *paragraphs[-2:]] for name in parse_reporters(text))


def _channel(root: html.HtmlElement, metas: MetaTags, url: str) -> Channel | None:
    match = re.search(r"\d+", metas.text("catalogs"))
    url_match = _article_match(url)
    channel_id = match.group(0) if match else (url_match["channel"] if url_match else "")
    if not channel_id:
        return None
    return Channel(channel_id, CHANNELS.get(channel_id) or _channel_name(root))


def _channel_name(root: html.HtmlElement) -> str:
    """The breadcrumb's last link, else the middle of "<title>标题--频道--人民网"."""
    links = xpath("descendant::span[@id='rwb_navpath']/descendant::a"
                  " | descendant::div[@id='rwb_navpath' or @class='subNav']/descendant::a")(root)
    crumbs = [normalize_space(a.text_content()) for a in links]
    crumbs = [c for c in crumbs if c and c not in {"人民网", "首页"}]
    title_parts = [normalize_space(p) for p in (root.findtext(".//title") or "").split("--")]
    return crumbs[-1] if crumbs else title_parts[-2] if len(title_parts) >= 3 else ""


def _content_id(metas: MetaTags, url: str) -> str:
    match = _article_match(url)
    return metas.text("contentid") or (match["content"] if match else "")


def _canonical_url(links: list[str], url: str, normalize_url: Callable[[str], str]) -> str:
    canonical = normalize_url(urljoin(url, links[0].strip())) if links and links[0].strip() else url
    return re.sub(r"(c\d+-\d+)-\d+\.html$", r"\1.html", canonical)  # page N -> page 1


def _content_page(url: str) -> tuple[str, int] | None:
    """(content id, page number) of an article URL: ``c220024-34830127-2.html`` is page 2."""
    match = _article_match(url)
    return (match["content"], int(match.groupdict().get("page") or 1)) if match else None


# -- hot lists ----------------------------------------------------------------------------------------------


def _hot_list(root: html.HtmlElement, url: str) -> list[HotEntry]:
    for heading in root.iter("h2", "h3", "h4", "h5"):
        if normalize_space(text_of(heading)) not in _HOT_HEADINGS:
            continue
        lists = xpath("following-sibling::*[self::ul or self::ol][1] | ../following-sibling::*"
                              "[self::ul or self::ol][1]")(heading)
        if lists:
            return _hot_entries(lists[0], url)
    return []


def _hot_entries(items: html.HtmlElement, url: str) -> list[HotEntry]:
    """Each <li> with a link, read by walking the elements (an XPath call per item costs more than the item)."""
    entries: list[HotEntry] = []
    for position, (li, link) in enumerate(_linked_items(items), start=1):
        rank_text = normalize_space(" ".join(_rank_texts(li)))
        rank = int(rank_text) if rank_text.isdigit() else position
        visible, full = normalize_space(text_of(link)), normalize_space(link.get("title"))
        shown = visible.rstrip("…. ").strip()
        title = full if full and (not visible or full.startswith(shown)) else visible
        entries.append(HotEntry(rank, title, join_url(url, link.get("href").strip())))
    return entries


def _linked_items(items: html.HtmlElement) -> Iterator[tuple[html.HtmlElement, html.HtmlElement]]:
    """Each child <li> with its first <a href> (XPath ``./li[.//a[@href]]``, then ``.//a[@href]``)."""
    for li in items.iterchildren("li"):
        link = next((a for a in li.iterdescendants("a") if a.get("href") is not None), None)
        if link is not None:
            yield li, link


def _rank_texts(li: html.HtmlElement) -> list[str]:
    """The text nodes of the item's child <span>s and <em>s (XPath ``./span/text() | ./em/text()``)."""
    texts: list[str] = []
    for child in li.iterchildren("span", "em"):
        texts.extend(text for text in (child.text, *(node.tail for node in child)) if text)
    return texts


# -- URLs ------------------------------------------------------------------------------------------------


def _article_match(url: str) -> re.Match[str] | None:
    parts = urlsplit(url)
    if not host_in(parts.hostname, HljPeople.allowed_domains):
        return None
    return _ARTICLE_PATH.match(parts.path) or _OLD_ARTICLE_PATH.match(parts.path)
