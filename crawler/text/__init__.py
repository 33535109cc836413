"""Shared text helpers for parsers: decoding, dates, bylines, whitespace."""
