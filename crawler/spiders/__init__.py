"""Spiders: one per site key; they only route requests to the pure parsers in crawler.sites."""
