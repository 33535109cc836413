"""东北网 (dbw.cn, every ``{channel}.dbw.cn``): articles and channel lists of its enorth CMS pages.

Article pages (GBK bytes under a GB2312 charset): breadcrumb ``div.weizhi``, title ``div.end-k h1``, the line
"时间：… 来源：… 作者：…" in ``div.time``, body ``div.neirong``, editor ``div.qhui``; later pages of a long
article are ``0NNNNNNNN_M.shtml``, linked from the ``v5.pages`` block. Lists are found by link pattern.
The saved pages show no hot list, so ``hot_list`` stays empty.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import urlsplit

from lxml import etree, html

from crawler.errors import ParseError
from crawler.models import Article, Channel, Image, Page
from crawler.sites.base import TemplateSite
from crawler.sites.common import first_text, join_url, text_of, unique
from crawler.text.bylines import parse_editors, parse_reporters, without_closing_byline
from crawler.text.clean import element_lines, normalize_space
from crawler.text.dates import parse_datetime
from crawler.urls import following_pages, host_in

__all__ = ["Dbw"]

_ARTICLE_PATH = re.compile(r"^/system/\d{4}/\d{2}/\d{2}/(?P<content>0\d{8})(?:_(?P<page>\d+))?\.shtml$")
# descendant::x, not //x: libxml2 runs //x[…] as a walk of every node's children, two to three times slower; on
# the root <html> element (what parse_html returns) the two select the same elements.
_TITLE = etree.XPath("descendant::div[contains(@class,'end-k')]/h1")
_BODY = etree.XPath("descendant::div[contains(@class,'neirong')]")
_DATELINE = etree.XPath("descendant::div[contains(concat(' ',@class,' '),' time ')]")
_EDITOR = etree.XPath("descendant::div[contains(@class,'qhui')]")
_BLOCKS = etree.XPath("./p | ./div | ./center | ./table")
_CRUMBS = etree.XPath("descendant::div[@class='weizhi']/descendant::a[@href]")
_PAGER = etree.XPath("descendant::div[contains(@class,'neirong')]/descendant::a/@href"
                     " | descendant::div[contains(@class,'page')]/descendant::a/@href")
_NOT_BODY = etree.XPath("descendant::script | descendant::style | descendant::div[contains(@class,'qhui')]"
                        " | descendant::div[contains(@class,'page')]"
                        " | descendant::*[contains(@class,'fenxiang') or contains(@class,'bdsharebuttonbox')]")
_BOILERPLATE = re.compile(r"^(?:分享到|[【\[]?\s*责任编辑|[（(]\s*责任编辑|上一页|下一页|\d+$)")
_ROLE_WORD = re.compile(r"记者|通讯员|实习生|编辑|摄")
_CAPTION = re.compile(r"^图为|^图[：:]|摄[）)]?$|供图|图片来源")


class Dbw(TemplateSite):
    """东北网: the home, its channel subdomains and their enorth CMS article pages."""

    key = "dbw"
    name = "东北网"
    allowed_domains = ("dbw.cn",)
    # Plain http: the live site also answers https, but the offline mirror proxies http only. Homes and channel
    # lists as the article breadcrumbs and the 平安龙江 home link them (``index.shtml``; "/" would be the
    # mirror file index.html, which tests/test_mirror_data.py reads as people.com.cn).
    start_urls = ("http://www.dbw.cn/index.shtml", "http://palj.dbw.cn/index.shtml",
                  "http://palj.dbw.cn/fzlj/fytd/index.shtml", "http://ljktx.dbw.cn/ljtime/kanlj/index.shtml")
    sample_urls = ("http://palj.dbw.cn/fzlj/fytd/index.shtml",
                   "http://palj.dbw.cn/system/2024/10/17/059375938.shtml")

    def is_article_url(self, url: str) -> bool:
        """Page 1 of a dbw.cn article: ``{channel}.dbw.cn/system/YYYY/MM/DD/0NNNNNNNN.shtml``."""
        match = _article_match(url)
        return match is not None and match["page"] is None

    def is_list_url(self, url: str) -> bool:
        """A dbw.cn channel list (``/ljtime/kanlj/index.shtml``, ``index_2.shtml`` …) or a channel home."""
        parts = urlsplit(url)
        return host_in(parts.hostname, self.allowed_domains) and self.list_path.match(parts.path or "/") is not None

    def is_article_path(self, path: str) -> bool:
        return _ARTICLE_PATH.match(path) is not None

    title_path = _TITLE
    body_path = _BODY

    def read_article(self, root: html.HtmlElement, page: Page, title: str) -> Article:
        return _article(root, page, title, self.normalize_url)


# -- articles --------------------------------------------------------------------------------------------


def _article(root: html.HtmlElement, page: Page, title: str, normalize_url: Callable[[str], str]) -> Article:
    url = normalize_url(page.url)
    page_urls = following_pages((normalize_url(join_url(url, href.strip())) for href in _PAGER(root)),
                                _content_page, url)
    editors = parse_editors(re.sub(r"(?<!责任)编辑\s*[：:]", "责任编辑：", first_text(_EDITOR(root))))
    containers = _BODY(root)
    paragraphs, images = _body(containers[0], page.url) if containers else ([], [])
    if not paragraphs:
        raise ParseError(page.url, "article page without body text")
    paragraphs, closing = without_closing_byline(paragraphs)  # "□ 本报记者 X" as the last paragraph
    dateline = first_text(_DATELINE(root))
    fields = _dateline_fields(dateline)
    bylines = [_writer_byline(fields.get("作者", "")), *paragraphs[:2], *paragraphs[-2:]]
    return Article(
        url=page.url, canonical_url=re.sub(r"_\d+\.shtml$", ".shtml", url), site=Dbw.key, title=title,
        body="\n".join(paragraphs), published_at=parse_datetime(fields.get("时间", dateline)),
        source=fields.get("来源", ""),
        authors=unique([*(n for text in bylines for n in parse_reporters(text)), *closing]),
        editors=editors, channel=_channel(root), content_id=_content_id(url), images=images, page_urls=page_urls,
    )


def _dateline_fields(dateline: str) -> dict[str, str]:
    """"时间：2024-10-25 08:03:30 来源：黑龙江日报 作者：" as {"时间": …, "来源": …, "作者": ""}."""
    parts = re.split(r"(时间|来源|作者)\s*[：:]", dateline)
    return {parts[i]: normalize_space(parts[i + 1]) for i in range(1, len(parts) - 1, 2)}


def _writer_byline(writers: str) -> str:
    """The "作者：" field names the story's writers: a bare "甲 乙" reads as the reporter byline "记者 甲 乙"."""
    if not writers or _ROLE_WORD.search(writers):
        return writers
    return f"记者 {writers}"


def _body(container: html.HtmlElement, url: str) -> tuple[list[str], list[Image]]:
    for junk in _NOT_BODY(container):
        junk.drop_tree()
    paragraphs: list[str] = []
    images: list[Image] = []
    for block in _BLOCKS(container) or [container]:
        images.extend(_images(block, url))
        paragraphs.extend(line for line in element_lines(block) if not _BOILERPLATE.match(line))
    return paragraphs, list(dict.fromkeys(images))


def _images(block: html.HtmlElement, url: str) -> list[Image]:
    found = []
    for img in block.iter("img"):
        src = join_url(url, (img.get("src") or "").strip())
        if not src.startswith("http") or "/images/" in urlsplit(src).path:  # template icons
            continue
        found.append(Image(src, normalize_space(img.get("alt")) or _caption(block)))
    return found


def _caption(block: html.HtmlElement) -> str:
    """The picture's block's own text, else the next paragraph's, when it reads as a caption (图为…, …摄)."""
    own = normalize_space(text_of(block))
    if _CAPTION.search(own):
        return own
    following = block.getnext()
    after = normalize_space(text_of(following)) if following is not None and following.tag == "p" else ""
    return after if after and _CAPTION.search(after) else ""


def _channel(root: html.HtmlElement) -> Channel | None:
    """The breadcrumb's last link: its host and folder as id ("ljktx.dbw.cn/ljtime/kanlj"), its text as name."""
    crumbs = _CRUMBS(root)
    if not crumbs:
        return None
    parts = urlsplit(join_url("http://www.dbw.cn/", crumbs[-1].get("href").strip()))
    folder = re.sub(r"/?(?:index(?:_\d+)?\.s?html?)?$", "", parts.path)
    return Channel(f"{parts.hostname}{folder}", normalize_space(crumbs[-1].text_content()))


def _content_id(url: str) -> str:
    match = _article_match(url)
    return match["content"] if match else ""


def _content_page(url: str) -> tuple[str, int] | None:
    """(content id, page number) of an article URL: ``059375938_2.shtml`` is page 2."""
    match = _article_match(url)
    return (match["content"], int(match["page"] or 1)) if match else None


# -- URLs ------------------------------------------------------------------------------------------------


def _article_match(url: str) -> re.Match[str] | None:
    parts = urlsplit(url)
    return _ARTICLE_PATH.match(parts.path) if host_in(parts.hostname, Dbw.allowed_domains) else None
