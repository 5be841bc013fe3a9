"""Literal pre-filters for regular expressions: skip a search that cannot match.

Shared by the tone phrase list and the cue grammar; kept apart so both can import it.
"""

from __future__ import annotations

import re
from typing import Optional


def required_literals(pattern: str) -> Optional[frozenset[str]]:
    """Strings of which every match must contain at least one (lower-cased), or None if unknown.

    Why: the phrase list has ~200 patterns and most never match a given message;
    checking `literal in text` first skips their regex search. Worked out from the
    parsed regex, so it is sound: a pattern is only skipped when it cannot match.
    """
    try:
        try:
            from re import _parser as sre_parse  # Python 3.11+
        except ImportError:  # pragma: no cover
            import sre_parse  # type: ignore
        from re import _constants as c  # type: ignore[attr-defined]
        parsed = sre_parse.parse(pattern, re.IGNORECASE)
    except Exception:
        return None

    def best(options: list[frozenset[str]]) -> Optional[frozenset[str]]:
        if not options:
            return None
        return max(options, key=lambda o: (min(_selectivity(x) for x in o), -len(o)))

    def seq(items) -> Optional[frozenset[str]]:
        options: list[frozenset[str]] = []
        run: list[str] = []

        def flush():
            if len(run) >= 2 or (len(run) == 1 and run[0] in RARE):
                options.append(frozenset({"".join(run)}))
            run.clear()

        for op, av in items:
            if op is c.LITERAL:
                run.append(chr(av).lower())
                continue
            flush()
            sub: Optional[frozenset[str]] = None
            if op is c.SUBPATTERN:
                sub = seq(av[-1])
            elif op is c.BRANCH:
                alts = [seq(branch) for branch in av[1]]
                if alts and all(a for a in alts):
                    sub = frozenset().union(*alts)
            elif op in (c.MAX_REPEAT, c.MIN_REPEAT) and av[0] >= 1:
                sub = seq(av[2])
            if sub:
                options.append(sub)
        flush()
        return best(options)

    try:
        found = seq(parsed)
    except Exception:
        return None
    if not found or any(len(x) < 2 and x not in RARE for x in found):
        return None
    return found


# Characters rare enough in a sentence to be worth a pre-filter on their own: "f***", "c*t" need "*".
RARE = frozenset("*@#$%&~^\u00a3\u20ac")


def _selectivity(literal: str) -> int:
    """How rarely a literal occurs, roughly its length; a rare character alone counts as three letters."""
    return 3 if literal in RARE else len(literal)


def split_alternatives(rx: str) -> list[str]:
    """The top-level branches of `rx` ("a|(b|c)|[|]" -> ["a", "(b|c)", "[|]"]), minding escapes and classes."""
    out, cur, depth, in_class, i = [], [], 0, False, 0
    while i < len(rx):
        c = rx[i]
        if c == "\\":
            cur.append(rx[i:i + 2])
            i += 2
            continue
        if in_class:
            in_class = c != "]" or cur[-1] == "[" or (cur[-1] == "^" and len(cur) > 1 and cur[-2] == "[")
        elif c == "[":
            in_class = True
        elif c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
        elif c == "|" and depth == 0:
            out.append("".join(cur))
            cur = []
            i += 1
            continue
        cur.append(c)
        i += 1
    out.append("".join(cur))
    return out


def _trie_regex(words: list[str]) -> str:
    """One regex matching any of `words`, longest first, with shared prefixes factored (a trie)."""
    trie: dict = {}
    for w in words:
        node = trie
        for ch in w:
            node = node.setdefault(ch, {})
        node[""] = {}

    def walk(node: dict) -> str:
        ends = "" in node
        branches = [re.escape(ch) + walk(child) for ch, child in sorted(node.items()) if ch]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return f"(?:{body})?" if ends else body

    return walk(trie)


class LiteralIndex:
    """Which of many patterns could match a text, from one scan for their required literals.

    Why: the phrase list and the cue grammar have a few hundred patterns and a
    sentence matches a handful. One trie-shaped regex finds, at each position,
    the longest literal starting there; the literals that are prefixes of it are
    present too. Patterns with no literal (needs empty) are always candidates.
    """

    def __init__(self, needs: list[frozenset[str]]):
        self._by_literal: dict[str, list[int]] = {}
        always = []
        for i, lits in enumerate(needs):
            if not lits:
                always.append(i)
            for lit in lits:
                self._by_literal.setdefault(lit, []).append(i)
        self.always = tuple(always)
        lits = sorted(self._by_literal)
        # the patterns a longest literal stands for: its own and those of every literal it starts with
        self._patterns = {w: frozenset(i for p in lits if w.startswith(p) for i in self._by_literal[p]) for w in lits}
        self._scan = re.compile("(?=(" + _trie_regex(lits) + "))") if lits else None

    def candidates(self, text: str) -> list[int]:
        """Indexes (ascending) of the patterns whose literals occur in `text`, plus the always ones."""
        chosen = set(self.always)
        if self._scan is not None:
            patterns = self._patterns
            for longest in set(self._scan.findall(text)):
                if longest:
                    chosen |= patterns[longest]
        return sorted(chosen)
