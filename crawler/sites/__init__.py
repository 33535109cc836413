"""Every site hljnews crawls implements ``Site`` (crawler/sites/base.py): the built-in parsers (hlj_people,
hlj_xinhua, dbw) and the outlets a configuration adds (crawler/sites/outlet.py). ``crawler.sites.registry``
finds them by key or URL and loads the configuration; this package's own import stays light (see there).
"""

from crawler.errors import ParseError
from crawler.sites.base import Site

__all__ = ["ParseError", "Site"]
