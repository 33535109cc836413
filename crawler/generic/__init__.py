"""Generic Chinese news-article extraction for pages of sites without a dedicated parser."""

from crawler.generic.extract import FIELDS, extract_article

__all__ = ["FIELDS", "extract_article"]
