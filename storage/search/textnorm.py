"""Search normalisation: NFKC, casefold and traditional→simplified, one character at a time.

Per character on purpose: when every character maps independently, "query is a substring of text"
survives normalisation of both, which phrase-level conversion (OpenCC's TSPhrases) would break.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache
from pathlib import Path

import opencc

WHITESPACE = " "
# Before each of a title's grams in PostgreSQL's gram array, so title hits come from the index too: normalize()
# drops control characters, so no gram of normalised text starts with it.
TITLE_MARK = "\x01"
# At each word character, it and the next one if that is a word character too. [^\W_] is exactly the
# Unicode categories L* and N* (checked over every code point), so this agrees with is_word_char.
_SHORT_GRAM = re.compile(r"(?=([^\W_]{1,2}))")


@cache
def _t2s_characters() -> dict[str, str]:
    """OpenCC's traditional→simplified character table (first candidate of each entry)."""
    path = Path(opencc.__file__).parent / "dictionary" / "TSCharacters.txt"
    table = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        source, _, targets = line.partition("\t")
        if source and targets:
            table[source] = targets.split(" ")[0]
    return table


class _CharMap(dict[int, str]):
    """str.translate table filled on first use of each code point; it notes the characters that do not map to
    exactly one (_UNEVEN), which are all that source_index has to step over."""

    def __missing__(self, code: int) -> str:
        self[code] = value = _fold(chr(code))
        if len(value) != 1:
            _UNEVEN.add(chr(code))
        return value


def _fold(char: str) -> str:
    if char.isspace():
        return WHITESPACE
    if unicodedata.category(char) in {"Cc", "Cf", "Cs"}:
        return ""  # control and format characters (ZWJ, BOM, soft hyphen) never take part in a match
    folded = unicodedata.normalize("NFKC", char).casefold()
    table = _t2s_characters()
    return "".join(table.get(c, c) for c in folded)


_UNEVEN: set[str] = set()
_CHARMAP = _CharMap()
_uneven_pattern: tuple[int, re.Pattern[str]] = (0, re.compile("(?!)"))  # (len(_UNEVEN) then, a class of them)


def normalize(text: str) -> str:
    """The form both indexed text and queries are compared in: 養老 → 养老, ＡＢＣ → abc."""
    return text.translate(_CHARMAP)


def normalized_offsets(text: str) -> list[int]:
    """offsets[i] = index in `text` of the character that produced normalize(text)[i] (plus a final end)."""
    offsets = []
    for index, char in enumerate(text):
        offsets.extend([index] * len(_CHARMAP[ord(char)]))
    offsets.append(len(text))
    return offsets


def source_index(text: str, index: int) -> int:
    """The index in `text` of the character that produced normalize(text)[index] (past the end: len(text)).

    `text` must have been normalised before (that notes its uneven characters). Only those are visited: a
    match deep in a long body costs a regex scan, not a normalisation of every prefix.
    """
    shift = 0  # len(normalize(text[:j])) - j, for j up to the uneven character at hand
    for match in _uneven().finditer(text):
        at = match.start()
        if at + shift > index:
            break
        width = len(_CHARMAP[ord(text[at])])
        if index < at + shift + width:
            return at
        shift += width - 1
    return min(index - shift, len(text))


def _uneven() -> re.Pattern[str]:
    """A pattern matching any uneven character seen so far (rebuilt only when one more has been seen)."""
    global _uneven_pattern
    size, pattern = _uneven_pattern
    if size != len(_UNEVEN):
        chars = sorted(_UNEVEN)  # a copy: another thread may be adding
        _uneven_pattern = size, pattern = len(chars), re.compile("[" + "".join(map(re.escape, chars)) + "]")
    return pattern


def is_word_char(char: str) -> bool:
    """Letters and digits: the characters the short-term index holds (SQLite unicode61 token characters)."""
    return unicodedata.category(char)[0] in "LN"


def short_grams(text: str) -> str:
    """Normalised text as space-separated tokens: each word character followed by its next one, if any.

    Every word character starts exactly one token, so a 2-character term is one token and a 1-character
    term is a 1-character prefix of a token.
    """
    return " ".join(_SHORT_GRAM.findall(text))


def all_grams(text: str) -> set[str]:
    """Every character and every pair of neighbouring characters (PostgreSQL's gram array)."""
    grams = set(text)
    grams.update(text[i:i + 2] for i in range(len(text) - 1))
    grams.discard(WHITESPACE)
    return grams


def term_grams(term: str) -> set[str]:
    """The grams a text must hold to contain `term`: its characters if it has one, else its pairs."""
    return {term} if len(term) == 1 else {term[i:i + 2] for i in range(len(term) - 1)}


def index_grams(title: str, body: str) -> set[str]:
    """PostgreSQL's gram array: every gram of title and body, and the title's again, marked with TITLE_MARK."""
    title_grams = all_grams(title)
    return title_grams | all_grams(body) | {TITLE_MARK + gram for gram in title_grams}


def title_term_grams(term: str) -> set[str]:
    """The marked grams a title must hold to contain `term`."""
    return {TITLE_MARK + gram for gram in term_grams(term)}
