"""Main-text detection: score text blocks, credit their ancestors, keep the best container's good lines."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass

from lxml import html

from crawler.generic.blocks import Block

# Sentence punctuation is the strongest sign of prose in Chinese; menus and link lists have almost none.
_PUNCTUATION = re.compile(r"[，。！？；：、“”…,.!?;]")
_POSITIVE = re.compile(
    r"article|content|main|body|text|detail|entry|post|story|news_?txt|zhengwen|正文|rm_txt|arti|cont\b|TRS_Editor",
    re.I,
)
_NEGATIVE = re.compile(
    r"comment|share|recommend|related|relate|sidebar|side|footer|foot\b|copyright|breadcrumb|crumb|nav|menu|"
    r"banner|login|search|hot|rank|tags?\b|keyword|qrcode|erweima|ad\b|ads\b|advert|guanggao|popup|modal|"
    r"toolbar|tool\b|weixin|wechat|print|pager|pagination|next|prev|more|list|author-?info|subscribe|follow|"
    r"dianzan|zan\b|reward|feedback|bottom|header|top\b|logo|link",
    re.I,
)
# Containers this strongly marked are never the article, whatever their text (unless they wrap most of the page).
_UNLIKELY = re.compile(
    r"comment|share|recommend|related|sidebar|footer|copyright|breadcrumb|crumb|navbar|\bnav\b|menu|qrcode|"
    r"login|popup|modal|advert|guanggao|pagination|player",
    re.I,
)
_BOILERPLATE_LINE = re.compile(
    r"^(?:分享到|分享：|扫一扫|打印|关闭|收藏|点赞|上一篇|下一篇|返回顶部|返回首页|举报|字号|【?字体|"
    r"相关(?:新闻|阅读|文章|推荐)|推荐阅读|热门推荐|延伸阅读|责任编辑：?$|微信扫|手机看|登录|注册|"
    r"版权所有|Copyright|©|网友评论|我要评论|评论|声明：|免责声明|关注(?:公众号|我们|微信)|分享让更多人看到)",
    re.I,
)
# Platform disclaimers appended to every article, whatever their length.
_DISCLAIMER = re.compile(r"^(?:特别声明|免责声明|版权声明|Notice: The content above)", re.I)
_META_LINE = re.compile(r"(?:来源|发布时间|发布日期|时间|作者|浏览|阅读|点击|字号)\s*[:：]")
_DATE_TIME = re.compile(
    r"(?:19|20)\d{2}\s*[年\-/.]\s*\d{1,2}\s*[月\-/.]\s*\d{1,2}|\d{1,2}[-月]\d{1,2}日?\s*\d{1,2}:\d{2}"
)


@dataclass
class Content:
    """The chosen container and its kept lines."""

    node: html.HtmlElement
    lines: list[str]


def block_score(block: Block) -> float:
    """How much a block looks like article prose."""
    if block.size < 8 or block.link_density > 0.5:
        return 0.0
    punctuation = len(_PUNCTUATION.findall(block.text))
    return (1.0 + punctuation + min(block.size / 40.0, 6.0)) * (1.0 - block.link_density)


def class_weight(element: html.HtmlElement) -> float:
    """Multiplier from class/id names, as readability and GNE do."""
    names = f"{element.get('class', '')} {element.get('id', '')}"
    if not names.strip():
        return 1.0
    weight = 1.0
    if _POSITIVE.search(names):
        weight *= 1.3
    if _NEGATIVE.search(names):
        weight *= 0.6
    return weight


def is_unlikely(element: html.HtmlElement) -> bool:
    """Strongly marked boilerplate containers (comments, share bars, footers, sidebars)."""
    names = f"{element.get('class', '')} {element.get('id', '')}"
    return (bool(_UNLIKELY.search(names)) and not _POSITIVE.search(names)) or element.tag in ("footer", "header")


def find_content(
    root: html.HtmlElement, blocks: list[Block], title: str = "", headline: html.HtmlElement | None = None
) -> Content | None:
    """The container with the most prose (near the headline when there is one), minus link lists and boilerplate."""
    if not blocks:
        return None
    total = sum(b.size for b in blocks)
    excluded = _unlikely_regions(root, total)
    blocks = [b for b in blocks if not _inside(b.owner, excluded)]
    scores, sizes, links, prose = _credit(blocks)
    if not scores:
        return None

    def rank(element: html.HtmlElement) -> float:
        return scores[element] * (1.0 - links[element] / max(sizes[element], 1)) * class_weight(element)

    best = max(scores, key=rank)
    anchor = _anchor(headline, prose) if headline is not None else None
    if anchor is not None and not _within(best, anchor):
        local = [e for e in scores if _within(e, anchor)]
        # A long teaser in a sidebar can outscore a short article; the text under the headline wins unless tiny.
        if local and rank(max(local, key=rank)) >= ANCHOR_SHARE * rank(best):
            best = max(local, key=rank)
    chosen = [best, *_good_siblings(best, rank, scores)]
    lines = [b.text for b in blocks if any(_within(b.owner, c) for c in chosen) and keep_line(b, title)]
    return Content(best, lines)


def _good_siblings(best: html.HtmlElement, rank, scores: dict) -> list[html.HtmlElement]:
    """Siblings that carry prose too (a lead paragraph or summary beside the body), as readability merges them."""
    parent = best.getparent()
    if parent is None:
        return []
    threshold = max(SIBLING_MIN, SIBLING_SHARE * rank(best))
    return [s for s in parent if s is not best and s in scores and rank(s) >= threshold]


SIBLING_SHARE, SIBLING_MIN = 0.2, 10.0


ANCHOR_SHARE = 0.1
_ANCHOR_PROSE = 120


def _anchor(headline: html.HtmlElement, prose: dict) -> html.HtmlElement | None:
    """The smallest ancestor of the headline that holds some prose besides the headline itself."""
    own = prose.get(headline, 0)
    for element in _ancestors(headline.getparent()):
        if prose.get(element, 0) - own >= _ANCHOR_PROSE:
            return element
    return None


def _credit(blocks: list[Block]) -> tuple[dict, dict, dict, dict]:
    """Give each block's score to its owner and (decaying) ancestors; tally sizes, link and prose sizes too."""
    scores: dict = defaultdict(float)
    sizes: dict = defaultdict(int)
    links: dict = defaultdict(int)
    prose: dict = defaultdict(int)
    for block in blocks:
        score = block_score(block)
        for depth, element in enumerate(_ancestors(block.owner)):
            sizes[element] += block.size
            links[element] += block.link_chars
            if score:
                prose[element] += block.size
                if depth < 4:
                    scores[element] += score / (1.0, 1.0, 2.0, 3.0)[depth]
    return scores, sizes, links, prose


def _ancestors(element: html.HtmlElement):
    while element is not None and element.tag not in ("body", "html"):
        yield element
        element = element.getparent()


def _unlikely_regions(root: html.HtmlElement, total: int) -> set:
    found = set()
    for element in root.iter():
        if isinstance(element.tag, str) and is_unlikely(element):
            size = sum(len(t.strip()) for t in element.itertext())
            if size < 0.5 * total:
                found.add(element)
    return found


def _inside(element: html.HtmlElement, regions: set) -> bool:
    return any(a in regions for a in _ancestors(element)) if regions else False


def _within(element: html.HtmlElement, container: html.HtmlElement) -> bool:
    return any(a is container for a in _ancestors(element))


def keep_line(block: Block, title: str) -> bool:
    """Drop link lists, share/print bars, the repeated title and the date/source line."""
    text = block.text
    if block.link_density > 0.6 and block.size < 60:
        return False
    if title and text == title:
        return False
    if (block.size < 40 and _BOILERPLATE_LINE.match(text)) or _DISCLAIMER.match(text):
        return False
    return not (block.size < 80 and _META_LINE.search(text) and _DATE_TIME.search(text))
