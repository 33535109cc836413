"""新华网黑龙江频道 (hlj.news.cn), and any page of Xinhua's news.cn platform: articles and channel lists.

One parser for the two detail templates of the platform, both UTF-8: the provincial 2023+ template
(``h1#title``, ``span.time``, ``span.sourceText``, body ``#detail``, ``span.editor``; URLs
``/YYYYMMDD/{32 hex}/c.html``) and the news.cn template (``div.head-line span.title``, ``div.header-time``,
``div.source``), used by the older ``/dt/YYYY-MM/DD/c_N.htm`` pages. The ``c.html?page=N`` pager of the new
template pages through one static file in the browser, so only ``c_N_M.htm`` pages are joined. The saved
pages show no hot list, so ``hot_list`` stays empty.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from urllib.parse import urlsplit

from lxml import etree, html

from crawler.errors import ParseError
from crawler.models import Article, Channel, Image, Page
from crawler.sites.base import TemplateSite
from crawler.sites.common import MetaTags, first_text, join_url, text_of, unique, xpath
from crawler.text.bylines import parse_editors, parse_reporters, without_closing_byline
from crawler.text.clean import element_lines, normalize_space
from crawler.text.dates import parse_datetime
from crawler.urls import following_pages, host_in, normalize_site_url

__all__ = ["HljXinhua"]

PLATFORM_DOMAINS = ("news.cn",)  # every Xinhua channel shares these URL forms

_NEW_PATH = re.compile(r"^/(?:(?P<channel>[\w/]+?)/)?(?P<date>\d{8})/(?P<hex>[0-9a-f]{32})/c\.html$")
_OLD_PATH = re.compile(r"^/(?:(?P<channel>[\w/]+?)/)?(?:\d{4}-\d{2}/\d{2})/c_(?P<id>\d+)(?:_(?P<page>\d+))?\.htm$")
# descendant::x, not //x: libxml2 runs //x[…] as a walk of every node's children, two to three times slower; on
# the root <html> element (what parse_html returns) the two select the same elements. Where a step can start
# from a rarer element (an <h1>, a <span> of one class) and test its parent, it does: the same nodes, found
# without testing every <div> of the page (the title from one walk of the <h1>s instead of three of the <div>s).
_TITLE = etree.XPath("descendant::h1[@id='title' or (parent::div[contains(@class,'head-line')]"
                     " and not(span[@class='title']))]"
                     " | descendant::h1[parent::div[contains(@class,'head-line')]]/span[@class='title']")
_BODY = etree.XPath("descendant::span[@id='detailContent']"
                    " | descendant::div[@id='detail'][not(descendant::span[@id='detailContent'])]")
_TIME = etree.XPath("descendant::span[@class='time'][parent::div[@class='source']]"
                    " | descendant::div[@class='info'][parent::div[contains(@class,'mheader')]]/text()[1]"
                    " | descendant::div[contains(@class,'header-time')]")
_SOURCES = (etree.XPath("descendant::span[@class='sourceText'][parent::div[@class='source']]"),
            etree.XPath("descendant::div[@class='source']"))
_EDITOR = etree.XPath("descendant::span[@class='editor'][ancestor::div[@id='articleEdit']]")
_COLUMN = etree.XPath("descendant::a[@class='curColumn'] | descendant::span[contains(@class,'curNews')]")
_HREFS = etree.XPath("descendant::a/@href")
# Only a link naming a c_N_M.htm file resolves to a later page of an older article; a link without "c_" resolves to
# another file or (empty, "?…", "#…") to this page, which following_pages counts only when it is a later page itself.
_PAGE_HREFS = etree.XPath("descendant::a/@href[contains(., 'c_')]")
# Inside the body container but not the story: pager, tags/editor box, corrections link, video player.
_NOT_BODY = etree.XPath("descendant::script | descendant::style | descendant::center[contains(@class,'xinhuaPager')]"
                        " | descendant::div[@id='articleEdit']"
                        " | descendant::*[contains(@class,'tiyi1')] | descendant::div[starts-with(@id,'DH-PLAYERID')]")
_BOILERPLATE = re.compile(r"^(?:【纠错】|分享到|\[?责任编辑|【责任编辑)")
_CAPTION = re.compile(r"^图为|^图[：:]|摄[）)]?$|供图|图片来源")
_WRITER = re.compile(r"作者\s*[：:]\s*(.*?)\s*(?:责任编辑|编辑|[\]】]|$)")
_SHORT_CAPTION = 80  # a short paragraph right after a picture-only block is that picture's caption


class HljXinhua(TemplateSite):
    """新华网黑龙江频道 (hlj.news.cn); the parser reads any page of Xinhua's news.cn platform."""

    key = "hlj_xinhua"
    name = "新华网黑龙江频道"
    allowed_domains = ("hlj.news.cn",)
    # Plain http: the live site also answers https, but the offline mirror proxies http only. The home page and
    # channel lists follow the platform's layout as he.news.cn links it (首页 /index.htm, /{channel}/index.htm):
    # "/" itself would be a mirror file index.html, which tests/test_mirror_data.py reads as people.com.cn.
    start_urls = ("http://www.hlj.news.cn/index.htm", "http://www.hlj.news.cn/xinwen/index.htm",
                  "http://www.hlj.news.cn/politics/index.htm")
    sample_urls = ("http://www.hlj.news.cn/xinwen/index.htm", "http://hlj.news.cn/dt/2023-05/10/c_1129600101.htm")
    list_path = re.compile(r"^/(?:[\w-]+/)*(?:index(?:_(?P<page>\d+))?\.html?)?$")

    def is_article_url(self, url: str) -> bool:
        """Page 1 of an hlj.news.cn article: ``/YYYYMMDD/{32 hex}/c.html`` or older ``/dt/YYYY-MM/DD/c_N.htm``."""
        parts = urlsplit(url)
        match = _article_match(url)
        return self.covers(url) and match is not None and _page_number(match, parts.query) == 1

    def is_list_url(self, url: str) -> bool:
        """An hlj.news.cn channel list (``/xinwen/index.htm``, ``index_2.htm`` …) or the home page."""
        return self.covers(url) and self.list_path.match(urlsplit(url).path or "/") is not None

    def is_article_path(self, path: str) -> bool:
        return bool(_NEW_PATH.match(path) or _OLD_PATH.match(path))

    def normalize_url(self, url: str) -> str:
        """URLs of the whole news.cn platform, not only hlj.news.cn, take the site's form."""
        return normalize_site_url(url, PLATFORM_DOMAINS, self.is_article_path)

    title_path = _TITLE
    body_path = _BODY

    def read_article(self, root: html.HtmlElement, page: Page, title: str) -> Article:
        return _article(root, page, title, self.normalize_url)


# -- articles --------------------------------------------------------------------------------------------


def _article(root: html.HtmlElement, page: Page, title: str, normalize_url: Callable[[str], str]) -> Article:
    url = normalize_url(page.url)
    page_urls = _following_pages(root, url, normalize_url)
    metas = MetaTags.of(root)
    byline = first_text(_EDITOR(root))  # before _body: the editor box may sit inside the body container
    containers = _BODY(root)
    paragraphs, images = _body(containers[0], page.url) if containers else ([], [])
    if not paragraphs:
        raise ParseError(page.url, "article page without body text")
    paragraphs, closing = without_closing_byline(paragraphs)  # "□ 本报记者 X" as the last paragraph
    return Article(
        url=page.url, canonical_url=_canonical_url(url), site=HljXinhua.key, title=title, body="\n".join(paragraphs),
        published_at=_published_at(root, metas), source=_source(root, metas),
        authors=unique([*(n for text in [_writer_byline(byline), *paragraphs[:2], *paragraphs[-2:]]
                          for n in parse_reporters(text)), *closing]),
        editors=parse_editors(_editor_text(byline)), channel=_channel(root, metas, url),
        content_id=metas.text("contentid") or _content_id(url), images=images, page_urls=page_urls,
    )


def _following_pages(root: html.HtmlElement, url: str, normalize_url: Callable[[str], str]) -> list[str]:
    """Later pages of an older ``c_N.htm`` article (the new template has none to join: its links go unread)."""
    own = _old_content_page(url)
    if own is None:
        return []
    hrefs = _PAGE_HREFS(root) if own[1] == 1 else _HREFS(root)
    return following_pages((normalize_url(join_url(url, href.strip())) for href in hrefs), _old_content_page, url)


def _body(container: html.HtmlElement, url: str) -> tuple[list[str], list[Image]]:
    for junk in _NOT_BODY(container):
        junk.drop_tree()
    paragraphs: list[str] = []
    images: list[Image] = []
    for block in xpath("./p | ./div | ./center")(container) or [container]:
        for img in block.iterdescendants("img"):  # per block, an XPath call would cost more than the walk
            image = _image(img, block, url) if img.get("src") is not None else None
            if image is not None:
                images.append(image)
        paragraphs.extend(line for line in element_lines(block) if not _BOILERPLATE.match(line))
    return paragraphs, list(dict.fromkeys(images))


def _image(img: html.HtmlElement, block: html.HtmlElement, url: str) -> Image | None:
    src = join_url(url, img.get("src", "").strip())
    if not src.startswith("http") or "zxcode_" in src:  # the share QR code
        return None
    alt = normalize_space(img.get("alt"))
    if alt:
        return Image(src, alt)
    own = normalize_space(text_of(block))
    if own and _CAPTION.search(own):
        return Image(src, own)
    following = block.getnext()
    text = normalize_space(following.text_content()) if following is not None and following.tag == "p" else ""
    short_after_picture = not own and len(text) <= _SHORT_CAPTION
    return Image(src, text if text and (short_after_picture or _CAPTION.search(text)) else "")


def _writer_byline(byline: str) -> str:
    """"[作者: 甲 乙 责任编辑: 丙 ]" as the reporter byline "记者 甲 乙": the platform's 作者 is the story's writer."""
    match = _WRITER.search(byline)
    return f"记者 {match.group(1)}" if match else ""


def _editor_text(byline: str) -> str:
    """"[作者: 甲 责任编辑: 乙 ]" and "【责任编辑:乙】" as parse_editors reads them: brackets out, 编辑 as 责任编辑."""
    text = re.sub(r"[\[\]【】]", " ", byline)
    return re.sub(r"(?<!责任)编辑\s*[：:]", "责任编辑：", text)


def _published_at(root: html.HtmlElement, metas: MetaTags) -> datetime | None:
    for node in _TIME(root):
        text = normalize_space(node if isinstance(node, str) else node.text_content())
        # news.cn splits the header time as "2024 05/09 22:27:02"
        text = re.sub(r"^(\d{4}) (\d{1,2}) ?/ ?(\d{1,2})", r"\1-\2-\3", text)
        found = parse_datetime(text)
        if found is not None:
            return found
    return parse_datetime(metas.text("publishdate"))


def _source(root: html.HtmlElement, metas: MetaTags) -> str:
    for sources in _SOURCES:
        shown = re.sub(r"^来源\s*[：:]\s*", "", first_text(sources(root)))
        if shown:
            return shown
    return metas.text("source")


def _channel(root: html.HtmlElement, metas: MetaTags, url: str) -> Channel | None:
    match = _article_match(url)
    channel_id = metas.text("catalogs") or (match["channel"] or "" if match else "")
    name = first_text(_COLUMN(root))
    return Channel(channel_id, name) if channel_id or name else None


def _content_id(url: str) -> str:
    match = _article_match(url)
    if match is None:
        return ""
    return match["date"] + match["hex"] if "hex" in match.groupdict() else match["id"]


def _canonical_url(url: str) -> str:
    return re.sub(r"(c_\d+)_\d+\.htm$", r"\1.htm", url)  # page N -> page 1


def _old_content_page(url: str) -> tuple[str, int] | None:
    """(id, page) of an older ``c_N.htm`` article, linked as ``c_N_M.htm`` for page M; the new template's
    ``c.html?page=N`` pages through one static file in the browser, so it has no later pages to join."""
    match = _article_match(url)
    if match is None or "id" not in match.groupdict():
        return None
    return match["id"], int(match["page"] or 1)


# -- URLs ------------------------------------------------------------------------------------------------


def _article_match(url: str) -> re.Match[str] | None:
    parts = urlsplit(url)
    if not host_in(parts.hostname, PLATFORM_DOMAINS):
        return None
    return _NEW_PATH.match(parts.path) or _OLD_PATH.match(parts.path)


def _page_number(match: re.Match[str], query: str) -> int:
    if "id" in match.groupdict():
        return int(match["page"] or 1)
    found = re.search(r"(?:^|&)page=(\d+)", query)
    return int(found.group(1)) if found else 1
