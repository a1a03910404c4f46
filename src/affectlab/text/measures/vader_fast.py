"""VADER's ``polarity_scores`` (vaderSentiment 3.3.2), re-implemented for speed with identical results.

Same lexicons and constants (read from the installed ``vaderSentiment``), same rules in the same order and
the same float operations; what changes is bookkeeping: each whitespace chunk is cleaned once and
memoised, a text without any lexicon word (most captions) is recognised by one set operation, and
lower-cased words are computed once per text. Hutto & Gilbert (2014), ICWSM-14.
"""

from __future__ import annotations

import heapq
import math
import string

from vaderSentiment import vaderSentiment as vs

__all__ = ["VaderScorer"]

_NEGATE = frozenset(vs.NEGATE)
_BOOSTER = vs.BOOSTER_DICT
_SPECIAL = vs.SPECIAL_CASES
_N_SCALAR = vs.N_SCALAR
_C_INCR = vs.C_INCR
_MEMO_LIMIT = 500_000  # chunks memoised before the memo is cleared (bounded memory on huge corpora)
_EMPTY = (0.0, 0.0, 0.0, 0.0)  # no words
_ALL_NEUTRAL = (0.0, 1.0, 0.0, 0.0)  # words, all of valence 0


def _negated(word: str) -> bool:
    """``vaderSentiment.negated([word])`` for one lower-cased word."""
    return word in _NEGATE or "n't" in word


def _clean_chunk(chunk: str) -> tuple[str, str, bool]:
    """``SentiText._strip_punc_if_word`` on one chunk: (word, lower-cased word, word.isupper())."""
    stripped = chunk.strip(string.punctuation)
    word = chunk if len(stripped) <= 2 else stripped
    return word, word.lower(), word.isupper()


def _scalar_inc_dec(word: str, lower: str, upper: bool, valence: float, cap_diff: bool) -> float:
    """``vaderSentiment.scalar_inc_dec``."""
    scalar = 0.0
    if lower in _BOOSTER:
        scalar = _BOOSTER[lower]
        if valence < 0:
            scalar *= -1
        if upper and cap_diff:
            if valence > 0:
                scalar += _C_INCR
            else:
                scalar -= _C_INCR
    return scalar


def _negation_check(valence: float, low: list[str], start_i: int, i: int) -> float:
    """``SentimentIntensityAnalyzer._negation_check``."""
    if start_i == 0:
        if _negated(low[i - 1]):
            valence = valence * _N_SCALAR
    elif start_i == 1:
        if low[i - 2] == "never" and (low[i - 1] == "so" or low[i - 1] == "this"):
            valence = valence * 1.25
        elif low[i - 2] == "without" and low[i - 1] == "doubt":
            pass
        elif _negated(low[i - 2]):
            valence = valence * _N_SCALAR
    else:
        if (
            low[i - 3] == "never"
            and (low[i - 2] == "so" or low[i - 2] == "this")
            or (low[i - 1] == "so" or low[i - 1] == "this")
        ):
            valence = valence * 1.25
        elif low[i - 3] == "without" and (low[i - 2] == "doubt" or low[i - 1] == "doubt"):
            pass
        elif _negated(low[i - 3]):
            valence = valence * _N_SCALAR
    return valence


def _special_idioms_check(valence: float, low: list[str], i: int) -> float:
    """``SentimentIntensityAnalyzer._special_idioms_check`` (only reached with i > 2)."""
    onezero = f"{low[i - 1]} {low[i]}"
    twoonezero = f"{low[i - 2]} {low[i - 1]} {low[i]}"
    twoone = f"{low[i - 2]} {low[i - 1]}"
    threetwoone = f"{low[i - 3]} {low[i - 2]} {low[i - 1]}"
    threetwo = f"{low[i - 3]} {low[i - 2]}"
    for seq in (onezero, twoonezero, twoone, threetwoone, threetwo):
        if seq in _SPECIAL:
            valence = _SPECIAL[seq]
            break
    if len(low) - 1 > i:
        zeroone = f"{low[i]} {low[i + 1]}"
        if zeroone in _SPECIAL:
            valence = _SPECIAL[zeroone]
    if len(low) - 1 > i + 1:
        zeroonetwo = f"{low[i]} {low[i + 1]} {low[i + 2]}"
        if zeroonetwo in _SPECIAL:
            valence = _SPECIAL[zeroonetwo]
    for n_gram in (threetwoone, threetwo, twoone):
        if n_gram in _BOOSTER:
            valence = valence + _BOOSTER[n_gram]
    return valence


def _least_check(valence: float, low: list[str], i: int, lexicon: dict[str, float]) -> float:
    """``SentimentIntensityAnalyzer._least_check``."""
    if i > 1 and low[i - 1] not in lexicon and low[i - 1] == "least":
        if low[i - 2] != "at" and low[i - 2] != "very":
            valence = valence * _N_SCALAR
    elif i > 0 and low[i - 1] not in lexicon and low[i - 1] == "least":
        valence = valence * _N_SCALAR
    return valence


def _but_check(low: list[str], sentiments: list[float]) -> list[float]:
    """``SentimentIntensityAnalyzer._but_check``, quirks included, in O(n log n) instead of O(n^2).

    The reference walks the list and, for the value now at each position, rescales the *first* position
    holding an equal value (``list.index``): x 0.5 before the first "but", x 1.5 after it. A heap of
    positions per value finds that first position without rescanning the list.
    """
    if "but" not in low:
        return sentiments
    bi = low.index("but")
    holders: dict[float, list[int]] = {}
    for position, value in enumerate(sentiments):
        holders.setdefault(value, []).append(position)  # ascending, so already a heap
    for k in range(len(sentiments)):
        value = sentiments[k]
        heap = holders[value]
        while sentiments[heap[0]] != value:  # positions whose value has changed since
            heapq.heappop(heap)
        si = heap[0]
        if si == bi:
            continue
        scaled = value * 0.5 if si < bi else value * 1.5
        sentiments[si] = scaled
        heapq.heappush(holders.setdefault(scaled, []), si)
    return sentiments


def _score_valence(sentiments: list[float], text: str) -> tuple[float, float, float, float]:
    """``SentimentIntensityAnalyzer.score_valence``, returned as (neg, neu, pos, compound)."""
    if not sentiments:
        return 0.0, 0.0, 0.0, 0.0
    sum_s = float(sum(sentiments))
    ep_count = min(text.count("!"), 4)
    qm_count = text.count("?")
    qm_amplifier = 0 if qm_count <= 1 else (qm_count * 0.18 if qm_count <= 3 else 0.96)
    punct = ep_count * 0.292 + qm_amplifier
    if sum_s > 0:
        sum_s += punct
    elif sum_s < 0:
        sum_s -= punct
    compound = max(-1.0, min(sum_s / math.sqrt((sum_s * sum_s) + 15), 1.0))
    pos_sum = 0.0
    neg_sum = 0.0
    neu_count = 0
    for score in sentiments:
        if score > 0:
            pos_sum += float(score) + 1
        if score < 0:
            neg_sum += float(score) - 1
        if score == 0:
            neu_count += 1
    if pos_sum > math.fabs(neg_sum):
        pos_sum += punct
    elif pos_sum < math.fabs(neg_sum):
        neg_sum -= punct
    total = pos_sum + math.fabs(neg_sum) + neu_count
    return (
        round(math.fabs(neg_sum / total), 3),
        round(math.fabs(neu_count / total), 3),
        round(math.fabs(pos_sum / total), 3),
        round(compound, 4),
    )


class VaderScorer:
    """``SentimentIntensityAnalyzer().polarity_scores(text)`` as a (neg, neu, pos, compound) tuple."""

    def __init__(self) -> None:
        analyzer = vs.SentimentIntensityAnalyzer()
        self.lexicon: dict[str, float] = analyzer.lexicon
        self.emojis: dict[str, str] = analyzer.emojis
        self._chunks: dict[str, tuple[str, str, bool, bool]] = {}
        self._lexical: set[str] = set()  # memoised chunks whose word is in the lexicon

    def _describe_emojis(self, text: str) -> str:
        """The emoji-to-description pass of ``polarity_scores`` (only non-ASCII text can hold an emoji)."""
        out: list[str] = []
        prev_space = True
        for ch in text:
            description = self.emojis.get(ch)
            if description is not None:
                if not prev_space:
                    out.append(" ")
                out.append(description)
                prev_space = False
            else:
                out.append(ch)
                prev_space = ch == " "
        return "".join(out).strip()

    def _learn(self, chunks: list[str]) -> None:
        """Memoise the chunks not seen yet: (word, lower-cased word, word.isupper(), in the lexicon)."""
        if len(self._chunks) > _MEMO_LIMIT:
            self._chunks.clear()
            self._lexical.clear()
        for chunk in chunks:
            if chunk not in self._chunks:
                word, lower, upper = _clean_chunk(chunk)
                self._chunks[chunk] = (word, lower, upper, lower in self.lexicon)
                if lower in self.lexicon:
                    self._lexical.add(chunk)

    def polarity_scores(self, text: str) -> tuple[float, float, float, float]:
        """(neg, neu, pos, compound), equal to vaderSentiment's ``polarity_scores`` values."""
        text = text.strip() if text.isascii() else self._describe_emojis(text)
        chunks = text.split()
        memo = self._chunks
        if not all(map(memo.__contains__, chunks)):
            self._learn(chunks)
        if self._lexical.isdisjoint(chunks):  # no lexicon word: every valence is 0
            return _ALL_NEUTRAL if chunks else _EMPTY
        words = list(map(memo.__getitem__, chunks))
        n_words = len(words)
        low = [w[1] for w in words]
        n_upper = sum(w[2] for w in words)
        cap_diff = 0 < n_words - n_upper < n_words
        sentiments: list[float] = []
        for i, word in enumerate(words):
            lw = word[1]
            if not word[3] or lw in _BOOSTER or (i < n_words - 1 and lw == "kind" and low[i + 1] == "of"):
                sentiments.append(0)
            else:
                sentiments.append(self._valence(i, words, low, cap_diff))
        return _score_valence(_but_check(low, sentiments), text)

    def _valence(self, i: int, words: list[tuple[str, str, bool, bool]], low: list[str], cap_diff: bool) -> float:
        """``SentimentIntensityAnalyzer.sentiment_valence`` for a word that is in the lexicon."""
        lexicon = self.lexicon
        lw = low[i]
        valence = lexicon[lw]
        if lw == "no" and i != len(low) - 1 and low[i + 1] in lexicon:
            valence = 0.0
        if (
            (i > 0 and low[i - 1] == "no")
            or (i > 1 and low[i - 2] == "no")
            or (i > 2 and low[i - 3] == "no" and low[i - 1] in ("or", "nor"))
        ):
            valence = lexicon[lw] * _N_SCALAR
        if words[i][2] and cap_diff:
            if valence > 0:
                valence += _C_INCR
            else:
                valence -= _C_INCR
        for start_i in range(3):
            j = i - (start_i + 1)
            if i > start_i and low[j] not in lexicon:
                word, lower, upper, _ = words[j]
                s = _scalar_inc_dec(word, lower, upper, valence, cap_diff)
                if start_i == 1 and s != 0:
                    s = s * 0.95
                if start_i == 2 and s != 0:
                    s = s * 0.9
                valence = valence + s
                valence = _negation_check(valence, low, start_i, i)
                if start_i == 2:
                    valence = _special_idioms_check(valence, low, i)
        return _least_check(valence, low, i, lexicon)
