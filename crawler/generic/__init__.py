"""Generic Chinese news-article extraction for pages of sites without a dedicated parser."""

from crawler.generic.extract import FIELDS, explain_published, extract_article
from crawler.generic.published import DateCandidate

__all__ = ["FIELDS", "DateCandidate", "explain_published", "extract_article"]
