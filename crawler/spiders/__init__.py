"""The spider: one class for every site key; it only routes requests to the pure parsers in crawler.sites."""
