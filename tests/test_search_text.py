"""Search text helpers: the pair tokens the SQLite short-term index holds, and snippets' offsets."""

from __future__ import annotations

import random
import sys

from storage.search.results import snippet
from storage.search.textnorm import is_word_char, normalize, short_grams, source_index


def reference_short_grams(text: str) -> str:
    """Each word character followed by its next one if that is a word character too (the definition)."""
    tokens = [c + (text[i + 1] if i + 1 < len(text) and is_word_char(text[i + 1]) else "")
              for i, c in enumerate(text) if is_word_char(c)]
    return " ".join(tokens)


def test_short_grams_follow_the_definition() -> None:
    for text in ["", " ", "_", "a", "ab c_d", "x__y", "黑龙江省 哈尔滨", "😀表情a1", "5g网络，g20！", "ⅻ½①a"]:
        assert short_grams(text) == reference_short_grams(text), text


def test_word_characters_are_the_letter_and_number_categories_everywhere() -> None:
    every = "".join(chr(c) for c in range(0, sys.maxunicode + 1, 7) if not 0xD800 <= c < 0xE000)
    assert short_grams(every) == reference_short_grams(every)


def test_snippet_marks_the_original_characters_when_normalisation_changes_lengths() -> None:
    assert snippet("ﬁ\u200bx 黑龍江", ("黑龙江",)) == "ﬁ\u200bx [黑龍江]"
    assert snippet("\u200b" * 50 + "ＡＢＣ" + "x" * 100, ("abc",)) == "…" + "\u200b" * 40 + "[ＡＢＣ]" + "x" * 77 + "…"
    assert snippet("ﬁﬁ abc", ("fi", "abc")) == "[ﬁ][ﬁ] [abc]"


def test_source_index_finds_the_character_each_normalised_one_came_from() -> None:
    # Characters that normalise to none (ZWSP, soft hyphen), several (ﬁ, …, ㍿, ﷺ) or one: the source index
    # of normalised position i is the first k whose prefix text[:k + 1] normalises past i.
    alphabet = ["ﬁ", "…", "\u200b", "\u00ad", "①", "黑", "龍", "a", "Ａ", " ", "㍿", "\ufdfa"]
    draw = random.Random(5)
    for _ in range(3000):
        text = "".join(draw.choice(alphabet) for _ in range(draw.randint(0, 30)))
        for index in range(len(normalize(text))):
            expected = next(k for k in range(len(text)) if len(normalize(text[:k + 1])) > index)
            assert source_index(text, index) == expected, (text, index)
