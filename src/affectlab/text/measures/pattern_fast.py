"""pattern's sentiment (``TextBlob(text).sentiment``, textblob 0.20.1), re-implemented for speed.

``Sentiment.__call__`` on a string tokenizes with ``find_tokens``, lower-cases the tokens and runs
``Sentiment.assessments``. Here each whitespace chunk is tokenized once (the same replacements and
punctuation-splitting loop as ``find_tokens``) and memoised, per-token lexicon facts are memoised, and the
assessment loop runs over plain lists. Three steps of ``find_tokens`` look across chunks; a text is sent
to the reference implementation (a *fallback*, counted) when one of them could change its tokens:

- a paragraph break (two or more newlines), which ``find_tokens`` turns into an end-of-sentence marker;
- the literal marker ``END-OF-SENTENCE`` in the text;
- tokens that could be glued back together by the emoticon or sarcasm-mark regexes (``: )`` -> ``:)``,
  ``( ! )`` -> ``(!)``), i.e. an emoticon spelled across a token boundary.

Importing textblob costs seconds (it imports NLTK, scipy.stats and scikit-learn), so the fast path never
does: the lexicon is read from textblob's own ``en/en-sentiment.xml`` with the rules of pattern's
``Sentiment.load`` (senses averaged per part of speech, then over parts of speech, then the English
``-ly`` adverbs added) and cached (:mod:`affectlab.text.measures.cache`, keyed by the file's hash); the
few constants of ``textblob._text`` it needs are copied below (the tests check them against textblob's).
textblob is imported only for a fallback text.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

from affectlab.errors import AffectlabError
from affectlab.text.measures.cache import cached_json

__all__ = ["PatternScorer", "load_lexicon"]

# --- constants of textblob 0.20.1 ``textblob._text`` and ``textblob.en`` (checked by the tests) ---
PUNCTUATION = ".,;:!?()[]{}`''\"@#$^&*+-|=~_"
ABBREVIATIONS = frozenset(
    ("a.", "adj.", "adv.", "al.", "a.m.", "c.", "cf.", "comp.", "conf.", "def.", "ed.", "e.g.", "esp.", "etc.",
     "ex.", "f.", "fig.", "gen.", "id.", "i.e.", "int.", "l.", "m.", "Med.", "Mil.", "Mr.", "n.", "n.q.",
     "orig.", "pl.", "pred.", "pres.", "p.m.", "ref.", "v.", "vs.", "w/")
)  # fmt: skip
RE_ABBR1 = re.compile(r"^[A-Za-z]\.$")
RE_ABBR2 = re.compile(r"^([A-Za-z]\.)+$")
RE_ABBR3 = re.compile("^[A-Z][" + "|".join("bcdfghjklmnpqrstvwxz") + "]+.$")
EMOTICONS: dict[tuple[str, float], frozenset[str]] = {
    ("love", +1.00): frozenset(("<3", "♥")),
    ("grin", +1.00): frozenset((">:D", ":-D", ":D", "=-D", "=D", "X-D", "x-D", "XD", "xD", "8-D")),
    ("taunt", +0.75): frozenset((">:P", ":-P", ":P", ":-p", ":p", ":-b", ":b", ":c)", ":o)", ":^)")),
    ("smile", +0.50): frozenset((">:)", ":-)", ":)", "=)", "=]", ":]", ":}", ":>", ":3", "8)", "8-)")),
    ("wink", +0.25): frozenset((">;]", ";-)", ";)", ";-]", ";]", ";D", ";^)", "*-)", "*)")),
    ("gasp", +0.05): frozenset((">:o", ":-O", ":O", ":o", ":-o", "o_O", "o.O", "°O°", "°o°")),
    ("worry", -0.25): frozenset((">:/", ":-/", ":/", ":\\", ">:\\", ":-.", ":-s", ":s", ":S", ":-S", ">.>")),
    ("frown", -0.75): frozenset((">:[", ":-(", ":(", "=(", ":-[", ":[", ":{", ":-<", ":c", ":-c", "=/")),
    ("cry", -1.00): frozenset((":'(", ":'''(", ";'(")),
}
REPLACEMENTS = {"'d": " 'd", "'m": " 'm", "'s": " 's", "'ll": " 'll", "'re": " 're", "'ve": " 've", "n't": " n't"}
EOS = "END-OF-SENTENCE"
NEGATIONS = ("no", "not", "n't", "never")

_PUNCT = tuple(PUNCTUATION.replace(".", ""))
_PUNCT_OR_PERIOD = (*_PUNCT, ".")
_CONTRACTIONS = REPLACEMENTS
_QUOTES = (("“", " “ "), ("”", " ” "), ("‘", " ‘ "), ("’", " ’ "), ("'", " ' "), ('"', ' " '))
_GLUED = tuple(e for group in EMOTICONS.values() for e in group) + ("(!)",)
_MEMO_LIMIT = 500_000

# Per lower-cased token: (polarity, subjectivity, intensity) or None, is a modifier (has an "RB" sense),
# is a negation, len(w.strip("'")) > 1, len(w) > 2, ends with "ly", is "!", emoticon polarity or None.
TokenFacts = tuple[tuple[float, float, float] | None, bool, bool, bool, bool, bool, bool, float | None]
# Per whitespace chunk: facts of its tokens, its tokens, their glue continuations (None: none has any),
# whether it holds pattern's end-of-sentence marker.
Chunk = tuple[list[TokenFacts], list[str], list[tuple[str, ...]] | None, bool]


def split_chunk(chunk: str) -> list[str]:
    """``find_tokens`` on one whitespace-free chunk, without the cross-token regex passes."""
    if chunk.isalnum():
        return [chunk]
    if "'" in chunk:  # every contraction pattern has one
        for a, b in _CONTRACTIONS.items():
            chunk = re.sub(a, b, chunk)
    for a, b in _QUOTES:
        chunk = chunk.replace(a, b)
    tokens: list[str] = []
    for t in chunk.split():
        tail = []
        while t.startswith(_PUNCT) and t not in _CONTRACTIONS:
            tokens.append(t[0])
            t = t[1:]
        while t.endswith(_PUNCT_OR_PERIOD) and t not in _CONTRACTIONS:
            if t.endswith(_PUNCT):
                tail.append(t[-1])
                t = t[:-1]
            if t.endswith("..."):
                tail.append("...")
                t = t[:-3].rstrip(".")
            if t.endswith("."):
                if (
                    t in ABBREVIATIONS
                    or RE_ABBR1.match(t) is not None
                    or RE_ABBR2.match(t) is not None
                    or RE_ABBR3.match(t) is not None
                ):
                    break
                tail.append(t[-1])
                t = t[:-1]
        if t != "":
            tokens.append(t)
        tokens.extend(reversed(tail))
    return tokens


def _prefixes_by_last_char() -> dict[str, list[tuple[str, str]]]:
    """Every proper split (beginning, rest) of every glueable string, keyed by the beginning's last char."""
    table: dict[str, list[tuple[str, str]]] = {}
    for e in _GLUED:
        for i in range(1, len(e)):
            table.setdefault(e[i - 1], []).append((e[:i], e[i:]))
    return table


_SPLITS = _prefixes_by_last_char()


def _glue_continuations(token: str) -> tuple[str, ...]:
    """Rests of emoticons (or ``(!)``) whose beginning ``token`` ends with: what would have to follow."""
    splits = _SPLITS.get(token[-1])
    if splits is None:
        return ()
    return tuple(rest for begin, rest in splits if token.endswith(begin))


def _advance_glue(pending: tuple[str, ...], tokens: list[str], continuations: list[tuple[str, ...]]):
    """Feed ``tokens`` to the glue scan; the pending rests after them, or None when a glue is complete."""
    for t, conts in zip(tokens, continuations, strict=True):
        if pending:
            rest = []
            for c in pending:
                if t == c:
                    return None
                if c.startswith(t):
                    rest.append(c[len(t) :])
            pending = tuple(rest)
        if conts:
            pending += conts
    return pending


class PatternScorer:
    """``TextBlob(text).sentiment`` as (polarity, subjectivity, number of assessments), with a counted
    fallback; the number is ``len(TextBlob(text).sentiment_assessments.assessments)``."""

    def __init__(self) -> None:
        self.lexicon, self.modifiers = load_lexicon()
        self.emoticons: dict[str, float] = {}
        for (_, polarity), group in EMOTICONS.items():
            for e in group:
                self.emoticons.setdefault(e.lower(), polarity)
        self.fallbacks = 0
        self._chunks: dict[str, Chunk] = {}
        self._chunk_facts: dict[str, list[TokenFacts]] = {}
        self._assessed: set[str] = set()  # chunks with a token in the lexicon or an emoticon
        self._special: set[str] = set()  # chunks that may glue or hold pattern's end-of-sentence marker
        self._facts: dict[str, TokenFacts] = {}

    def _token_facts(self, w: str) -> TokenFacts:
        emoticon = None
        if not w.isalpha() and len(w) <= 5 and w not in PUNCTUATION:
            emoticon = self.emoticons.get(w)
        psi = self.lexicon.get(w)
        return (
            None if psi is None else (psi[0], psi[1], psi[2]),
            w in self.modifiers,
            w in NEGATIONS,
            len(w.strip("'")) > 1,
            len(w) > 2,
            w.endswith("ly"),
            w == "!",
            emoticon,
        )

    def _facts_of(self, w: str) -> TokenFacts:
        """Memoised :meth:`_token_facts` (tokens recur across chunks: ``dog``, ``dog.``, ``Dog``)."""
        f = self._facts.get(w)
        if f is None:
            if len(self._facts) > _MEMO_LIMIT:
                self._facts.clear()
            f = self._facts[w] = self._token_facts(w)
        return f

    def _learn(self, chunks: list[str]) -> None:
        """Memoise the chunks not seen yet (see ``Chunk``) and index them by the sets of the fast path."""
        if len(self._chunks) > _MEMO_LIMIT:
            self._chunks.clear()
            self._chunk_facts.clear()
            self._assessed.clear()
            self._special.clear()
        for chunk in chunks:
            if chunk in self._chunks:
                continue
            tokens = split_chunk(chunk)
            facts = [self._facts_of(t.lower()) for t in tokens]
            continuations = [_glue_continuations(t) for t in tokens]
            glues = any(continuations)
            self._chunks[chunk] = (facts, tokens, continuations if glues else None, EOS in chunk)
            self._chunk_facts[chunk] = facts
            if any(f[0] is not None or f[7] is not None for f in facts):
                self._assessed.add(chunk)
            if glues or EOS in chunk:
                self._special.add(chunk)

    def _facts_of_special_text(self, chunks: list[str]) -> list[TokenFacts] | None:
        """Facts of the tokens of a text with a chunk that may glue or holds pattern's end-of-sentence
        marker; None when the reference must run (see the module docstring)."""
        facts: list[TokenFacts] = []
        pending: tuple[str, ...] | None = ()
        for chunk in chunks:
            chunk_facts, tokens, continuations, has_eos = self._chunks[chunk]
            if has_eos:
                return None
            facts += chunk_facts
            if pending or continuations is not None:
                pending = _advance_glue(pending, tokens, continuations or [()] * len(tokens))
                if pending is None:
                    return None
        return facts

    def sentiment(self, text: str) -> tuple[float, float, int]:
        """(polarity, subjectivity) equal to ``TextBlob(text).sentiment``, and the number of assessments
        they average (0: no lexicon word or emoticon found; both scores are then 0)."""
        if "\n" in text and "\n\n" in text.replace("\r\n", "\n"):
            return self._fallback(text)
        chunks = text.split()
        memo = self._chunk_facts
        facts: list[TokenFacts] = []
        for chunk in chunks:
            found = memo.get(chunk)
            if found is None:
                self._learn(chunks)
                found = memo[chunk]
            facts += found
        if self._special.isdisjoint(chunks):
            if self._assessed.isdisjoint(chunks):  # no token in the lexicon, no emoticon: nothing assessed
                return 0.0, 0.0, 0
            return _assess(facts)
        special = self._facts_of_special_text(chunks)
        return self._fallback(text) if special is None else _assess(special)

    def _fallback(self, text: str) -> tuple[float, float, int]:
        from textblob.en import sentiment as reference_sentiment  # the rare case: textblob itself

        self.fallbacks += 1
        score = reference_sentiment(text)
        return score[0], score[1], len(score.assessments)


def _assess(facts: list[TokenFacts]) -> tuple[float, float, int]:
    """``Sentiment.assessments`` + ``__call__``'s averaging over lower-cased tokens without POS tags."""
    a: list[list[float]] = []  # [polarity, subjectivity, intensity, negated(-1) or 1]
    m: bool | None = None  # preceding modifier: None, else whether it ends with "ly"
    n = False  # preceding negation
    for psi, is_modifier, is_negation, long_stripped, long_word, ends_ly, is_bang, emoticon in facts:
        if psi is not None:
            p, s, i = psi
            if m is None:
                a.append([p, s, i, 1])
            else:
                last = a[-1]
                last[0] = max(-1.0, min(p * last[2], +1.0))
                last[1] = max(-1.0, min(s * last[2], +1.0))
                last[2] = i
            if n:
                last = a[-1]
                last[2] = 1.0 / last[2]
                last[3] = -1
            m = ends_ly if is_modifier else None
            n = is_negation
            continue
        if is_negation:
            n = True
        elif n and long_stripped:
            n = False
        if n and m:
            a[-1][3] = -1
            n = False
        elif m is not None and long_word:
            m = None
        if is_bang and a:
            a[-1][0] = max(-1.0, min(a[-1][0] * 1.25, +1.0))
        if emoticon is not None:
            a.append([emoticon, 1.0, 1.0, 1])
    if not a:
        return 0.0, 0.0, 0
    polarity = sum(x[0] * -0.5 if x[3] < 0 else x[0] for x in a) / float(len(a))
    subjectivity = sum(x[1] for x in a) / float(len(a))
    return polarity, subjectivity, len(a)


def sentiment_xml() -> Path:
    """textblob's ``en/en-sentiment.xml``, found without importing textblob."""
    spec = importlib.util.find_spec("textblob")
    if spec is None or not spec.submodule_search_locations:
        raise AffectlabError("pattern's sentiment lexicon needs the `textblob` package (pip install textblob)")
    path = Path(next(iter(spec.submodule_search_locations))) / "en" / "en-sentiment.xml"
    if not path.is_file():
        raise AffectlabError(f"{path}: textblob's sentiment lexicon is missing; reinstall textblob")
    return path


_LEXICON: tuple[dict[str, tuple[float, float, float]], frozenset[str]] | None = None


def load_lexicon() -> tuple[dict[str, tuple[float, float, float]], frozenset[str]]:
    """pattern's English lexicon as textblob loads it: word -> (polarity, subjectivity, intensity) of its
    averaged senses, and the words with an adverb ("RB") sense (modifiers). Cached by the file's hash."""
    global _LEXICON
    if _LEXICON is None:
        path = sentiment_xml()
        words, modifiers = cached_json("pattern-en-sentiment", path, lambda: _parse_lexicon(path))
        _LEXICON = ({w: (p, s, i) for w, (p, s, i) in words.items()}, frozenset(modifiers))
    return _LEXICON


def _avg(values: list[float] | tuple[float, ...]) -> float:
    return sum(values) / float(len(values) or 1)


def _parse_lexicon(path: Path) -> tuple[dict[str, list[float]], list[str]]:
    """``textblob.en.Sentiment.load()`` (pattern's rules), returning the None-sense scores and modifiers."""
    from xml.etree import ElementTree

    words: dict[str, dict[str | None, list]] = {}
    for w in ElementTree.parse(path).getroot().findall("word"):
        form, pos = w.attrib.get("form"), w.attrib.get("pos")
        psi = (
            float(w.attrib.get("polarity", 0.0)),
            float(w.attrib.get("subjectivity", 0.0)),
            float(w.attrib.get("intensity", 1.0)),
        )
        if form:
            words.setdefault(form, {}).setdefault(pos, []).append(psi)
    for form in words:  # average of the senses per part of speech
        words[form] = {pos: [_avg(each) for each in zip(*psi, strict=True)] for pos, psi in words[form].items()}
    for form, pos in list(words.items()):  # average over the parts of speech
        words[form][None] = [_avg(each) for each in zip(*pos.values(), strict=True)]
    for form, pos in list(words.items()):  # English: "terrible" -> adverb "terribly"
        if "JJ" in pos:
            if form.endswith("y"):
                form = form[:-1] + "i"
            if form.endswith("le"):
                form = form[:-2]
            entry = words.setdefault(form + "ly", {})
            entry["RB"] = entry[None] = list(pos["JJ"])
    lexicon = {form: senses[None] for form, senses in words.items()}
    return lexicon, sorted(form for form, senses in words.items() if "RB" in senses)
