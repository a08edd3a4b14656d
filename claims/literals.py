"""Required literals of a rule regex: strings of which every match contains at least one.

`required_literals("(?:achieves?|reaching)\\s+(?P<num>\\d+)")` is ``{"achieve", "reaching"}``:
no text without one of them can hold a match. Searching those few literals with the standard
library's `re` (in the lower-cased text for an IGNORECASE pattern) is several times cheaper than
running the rule's regex, so `claims.extract` skips a pattern in a window where none occurs. This
is the idea of RE2's FilteredRE2 / Google Code Search's trigram index, for the regex subset the
rules use.

The analysis is conservative: it returns None (no requirement known) for anything it does not
model, never a literal a match could lack. tests/test_literals.py checks that on every rule
pattern against the corpus and on generated matches.

What the extractor uses: `need_regex` (the required literals as one `re`), `Filtered` (a pattern
searched only where its literals occur), `PrefixScan` (a pattern tried only where one of its
literal prefixes starts) and `Words` (an IGNORECASE word list searched with `re` in lower-cased
ASCII text). Each gives exactly the matches of the plain `regex` search.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field, replace
from typing import Optional, Union

import regex

from .rules import factor_first, longest_first

MAX_SET = 64          # literals a run may grow to by concatenation ("latenc" + "y|ies")
MAX_UNION = 400       # literals an alternation's set may have before it is no use as a filter


# Kinds of character, for `first_kinds`: where a match can start. A non-ASCII letter is its own
# kind inside the analysis (IGNORECASE folds letters into letters: 'ſ' matches 's', 'K' 'k'); at
# run time it counts as OTHER (`kind_at`).
DIGIT, ALPHA, OTHER = "digit", "alpha", "other"
_LETTER = "non-ASCII letter"
_ANY = frozenset({DIGIT, ALPHA, OTHER, _LETTER})
_ESCAPE_KINDS = {"d": frozenset({DIGIT, OTHER}),      # \d: also the non-ASCII decimal digits
                 "s": frozenset({OTHER}), "h": frozenset({OTHER})}


def _kind(ch: str) -> str:
    if "0" <= ch <= "9":
        return DIGIT
    if ch.isascii():
        return ALPHA if ch.isalpha() else OTHER
    return _LETTER if ch.isalpha() else OTHER


def kind_at(ch: str) -> str:
    """The kind of a text character: DIGIT (ASCII), ALPHA (ASCII) or OTHER."""
    if "0" <= ch <= "9":
        return DIGIT
    return ALPHA if ("a" <= ch <= "z" or "A" <= ch <= "Z") else OTHER


class _Unknown(Exception):
    """A construct the analysis does not model at all (inline global flags, conditionals)."""


@dataclass(frozen=True)
class _Chars:
    chars: Optional[frozenset]     # the characters one position can be; None: too many / unknown
    kinds: Optional[frozenset] = None   # with chars None: the kinds of character it can be (_kind); None: any
    src: Optional[str] = field(default=None, compare=False)   # with chars None: its source ('\\s', '[^;]')


@dataclass(frozen=True)
class _Zero:
    """A zero-width assertion without a requirement (\\b, ^, $, a negative lookaround)."""


@dataclass(frozen=True)
class _Group:
    alts: tuple                    # tuple of sequences (tuples of items)
    kind: str                      # "group" | "ahead" | "behind" | "nocase" (turns IGNORECASE on)


Atom = Union[_Chars, _Zero, _Group]


@dataclass(frozen=True)
class _Item:
    atom: Atom
    lo: int
    hi: Optional[int]              # None: unbounded


class _Parser:
    """Recursive descent over a regex source (verbose or not) into alternatives of item sequences."""

    def __init__(self, src: str, verbose: bool):
        self.s, self.i, self.verbose = src, 0, verbose

    def parse(self) -> tuple:
        alts = self._alts()
        if self.i < len(self.s):
            raise _Unknown("unbalanced ')'")
        return alts

    def _skip(self) -> None:
        s = self.s
        while self.verbose and self.i < len(s):
            if s[self.i].isspace():
                self.i += 1
            elif s[self.i] == "#":
                j = s.find("\n", self.i)
                self.i = len(s) if j < 0 else j
            else:
                break

    def _alts(self) -> tuple:
        alts, seq = [], []
        while True:
            self._skip()
            if self.i >= len(self.s) or self.s[self.i] == ")":
                alts.append(tuple(seq))
                return tuple(alts)
            if self.s[self.i] == "|":
                self.i += 1
                alts.append(tuple(seq))
                seq = []
                continue
            atom = self._atom()
            if atom is None:
                continue
            lo, hi = self._quantifier()
            seq.append(_Item(atom, lo, hi))

    def _quantifier(self) -> tuple[int, Optional[int]]:
        self._skip()
        s, i = self.s, self.i
        if i >= len(s):
            return 1, 1
        ch = s[i]
        if ch in "?*+":
            lo, hi = {"?": (0, 1), "*": (0, None), "+": (1, None)}[ch]
            self.i += 1
        elif ch == "{":
            j = s.find("}", i)
            body = s[i + 1:j] if j > 0 else ""
            parts = body.split(",")
            if j < 0 or len(parts) > 2 or not all(p.strip().isdigit() or p.strip() == "" for p in parts) or \
                    not body.strip() or not (parts[0].strip() or len(parts) == 2):
                return 1, 1                   # a literal '{' (no quantifier)
            lo = int(parts[0]) if parts[0].strip() else 0
            hi = lo if len(parts) == 1 else (int(parts[1]) if parts[1].strip() else None)
            self.i = j + 1
        else:
            return 1, 1
        if self.i < len(s) and s[self.i] in "?+":
            self.i += 1                       # lazy or possessive: the same texts
        return lo, hi

    def _atom(self) -> Optional[Atom]:
        s = self.s
        ch = s[self.i]
        if ch in "\\[":
            i0 = self.i
            atom = self._escape() if ch == "\\" else self._class()
            return replace(atom, src=s[i0:self.i]) if isinstance(atom, _Chars) and atom.chars is None else atom
        if ch == "(":
            return self._group()
        self.i += 1
        if ch == ".":
            return _Chars(None)
        if ch in "^$":
            return _Zero()
        return _Chars(frozenset(ch))

    def _escape(self) -> Atom:
        s = self.s
        if self.i + 1 >= len(s):
            raise _Unknown("trailing backslash")
        c = s[self.i + 1]
        self.i += 2
        if c in "bBAZzGmM":
            return _Zero()
        if c in "dDsSwWhHX" or c.isdigit():
            return _Chars(None, _ESCAPE_KINDS.get(c))     # a class, or a backreference
        if c in "pPN":
            if self.i < len(s) and s[self.i] == "{":
                self.i = s.index("}", self.i) + 1
            else:
                self.i += 1
            return _Chars(None)
        if c in "xuU":
            n = {"x": 2, "u": 4, "U": 8}[c]
            digits = s[self.i:self.i + n]
            if len(digits) == n and all(h in "0123456789abcdefABCDEF" for h in digits):
                self.i += n
                return _Chars(frozenset(chr(int(digits, 16))))
            return _Chars(None)
        if c in "ntrfva":
            return _Chars(frozenset({"n": "\n", "t": "\t", "r": "\r", "f": "\f", "v": "\v", "a": "\a"}[c]))
        if c == "K":
            raise _Unknown("\\K moves the start of the match")
        if c.isascii() and c.isalnum():
            if c in "gL" and s.startswith("<", self.i):
                self.i = s.index(">", self.i) + 1
            return _Chars(None)               # \g<name>, \L<list>, ...: not one literal character
        return _Chars(frozenset(c))

    def _class(self) -> _Chars:
        s, i = self.s, self.i + 1
        negated = i < len(s) and s[i] == "^"
        if negated:
            i += 1
        chars: set[str] = set()
        known = not negated
        kinds: Optional[set] = None if negated else set()     # the kinds of character in the set
        first = True
        while i < len(s) and (s[i] != "]" or first):
            first = False
            c = s[i]
            if c == "[":
                known = False                # a nested set or a POSIX class
                kinds = None
            if c == "\\":
                e = s[i + 1] if i + 1 < len(s) else ""
                i += 2
                if e.isalnum() and e not in "nt":
                    known = False            # \d, \w, \p{..}, \x..
                    k = _ESCAPE_KINDS.get(e)
                    kinds = None if kinds is None or k is None else kinds | k
                    continue
                c = {"n": "\n", "t": "\t"}.get(e, e)
            else:
                i += 1
            if i + 1 < len(s) and s[i] == "-" and s[i + 1] != "]":
                hi = s[i + 1]
                if hi == "\\":
                    known = False
                    kinds = None
                    i += 3
                    continue
                i += 2
                span = range(ord(c), ord(hi) + 1)
                if kinds is not None:
                    kinds = kinds | {_kind(chr(k)) for k in span} if len(span) <= 1024 else None
                if len(span) > 17:
                    known = False
                    continue
                chars.update(chr(k) for k in span)
                continue
            chars.add(c)
            if kinds is not None:
                kinds.add(_kind(c))
        self.i = i + 1
        if not known or not chars or len(chars) > 16:
            return _Chars(None, None if kinds is None else frozenset(kinds))
        return _Chars(frozenset(chars))

    def _group(self) -> Atom:
        s = self.s
        i = self.i + 1
        kind = "group"
        if s.startswith("?", i):
            rest = s[i + 1:]
            if rest.startswith((":", ">", "|")):
                i += 2
            elif rest.startswith(("P<", "<")) and not rest.startswith(("<=", "<!")):
                i = s.index(">", i) + 1
            elif rest.startswith("="):
                kind, i = "ahead", i + 2
            elif rest.startswith("<="):
                kind, i = "behind", i + 3
            elif rest.startswith(("!", "<!")):
                kind, i = "negative", i + (2 if rest.startswith("!") else 3)
            elif rest.startswith("#"):
                self.i = s.index(")", i) + 1
                return None                   # a comment
            elif rest.startswith("P="):
                self.i = s.index(")", i) + 1
                return _Chars(None)           # a backreference
            else:
                j = i + 1
                while j < len(s) and (s[j].isalpha() or s[j] in "-0123456789"):
                    j += 1
                if j >= len(s) or s[j] != ":":
                    raise _Unknown("inline flags, a conditional or a recursion")
                flags = s[i + 1:j]
                on = flags.split("-")[0]
                if "x" in flags:
                    raise _Unknown("verbose mode switched inside the pattern")
                kind = "nocase" if "i" in on else "group"
                i = j + 1
        self.i = i
        alts = self._alts()
        if self.i >= len(s) or s[self.i] != ")":
            raise _Unknown("unbalanced '('")
        self.i += 1
        if kind == "negative":
            return _Zero()
        return _Group(alts, kind)


@functools.lru_cache(maxsize=1024)
def _parse(src: str, verbose: bool) -> tuple:
    """_Parser(src, verbose).parse(), once per source (first_kinds, after_lead, literal_prefixes
    and required_literals read the same rule regexes; the trees are immutable)."""
    return _Parser(src, verbose).parse()


@dataclass(frozen=True)
class _Info:
    lits: frozenset                # every match of the part contains one of these
    exact: bool                    # ... and is exactly one of them (so runs can be concatenated)


def _caseless(c: str) -> bool:
    """A symbol no case mapping touches ('≤', '×', '∼'): IGNORECASE matches only itself."""
    return not c.isalpha() and c.lower() == c == c.upper() and c.casefold() == c


def _score(lits: frozenset) -> tuple:
    return (min(len(x) for x in lits), -len(lits))


class _Analysis:
    def __init__(self, ignore_case: bool, lookbehind: bool):
        self.ignore_case = ignore_case
        self.lookbehind = lookbehind

    def alts(self, alts: tuple) -> Optional[_Info]:
        infos = [self.seq(seq) for seq in alts]
        if any(x is None for x in infos):
            return None
        lits = frozenset().union(*(x.lits for x in infos))
        if "" in lits or len(lits) > MAX_UNION:
            return None
        return _Info(lits, all(x.exact for x in infos))

    def chars(self, atom: _Chars) -> Optional[frozenset]:
        if atom.chars is None:
            return None
        if self.ignore_case:
            if not all(c.isascii() or _caseless(c) for c in atom.chars):
                return None                   # 'ſ' matches 's': only ASCII and symbols fold simply
            return frozenset(c.lower() for c in atom.chars)
        return atom.chars

    def item(self, it: _Item) -> Optional[_Info]:
        atom = it.atom
        if it.lo == 0:
            return None
        if isinstance(atom, _Chars):
            cs = self.chars(atom)
            return None if cs is None else _Info(cs, it.lo == it.hi == 1)
        if isinstance(atom, _Group):
            if atom.kind == "nocase" and not self.ignore_case:
                return None                   # case-insensitive inside a case-sensitive search
            if atom.kind == "behind" and not self.lookbehind:
                return None                   # it may look before the searched window
            sub = self.alts(atom.alts)
            if sub is None:
                return None
            if atom.kind in ("ahead", "behind"):
                return _Info(sub.lits, False)  # required, but not consumed here
            return _Info(sub.lits, sub.exact and it.lo == it.hi == 1)
        return None

    def seq(self, seq: tuple) -> Optional[_Info]:
        if not seq:
            return _Info(frozenset({""}), True)
        cands: list[frozenset] = []
        run: Optional[frozenset] = frozenset({""})
        whole_exact = True
        for it in seq:
            info = self.item(it)
            if info is not None and info.exact:
                prod = frozenset(a + b for a in run for b in info.lits) if run is not None else info.lits
                if len(prod) > MAX_SET:
                    if run is not None and "" not in run:
                        cands.append(run)
                    run = info.lits
                    whole_exact = False
                else:
                    run = prod
                continue
            whole_exact = False
            if run is not None and "" not in run:
                cands.append(run)
            run = None
            if info is not None:
                cands.append(info.lits)
        if whole_exact and run is not None:
            return _Info(run, True)
        if run is not None and "" not in run:
            cands.append(run)
        if not cands:
            return None
        return _Info(max(cands, key=_score), False)


def required_literals(src: str, *, verbose: bool = True, ignore_case: bool = False,
                      lookbehind: bool = False) -> Optional[frozenset]:
    """Strings of which every match of `src` contains one (lower-cased with `ignore_case`: then
    they are to be found in the lower-cased ASCII text), or None when no such set is known.
    `lookbehind`: the text a lookbehind needs counts (only when the search sees all the text
    before a match, not when it starts inside a sentence)."""
    try:
        tree = _parse(src, verbose)
    except (_Unknown, ValueError, IndexError):
        return None
    info = _Analysis(ignore_case, lookbehind).alts(tree)
    if info is None or "" in info.lits:
        return None
    return info.lits


class _Prefixes:
    """Strings every match *starts* with (zero-width items are stepped over, an optional item
    gives both ways: '[TPEG]?FLOP/s' -> TFLOP/s, PFLOP/s, EFLOP/s, GFLOP/s, FLOP/s)."""

    def __init__(self, ignore_case: bool):
        self.a = _Analysis(ignore_case, lookbehind=False)

    def alts(self, alts: tuple) -> Optional[frozenset]:
        out: set = set()
        for seq in alts:
            p = self.seq(seq, 0)
            if p is None:
                return None
            out |= p
            if len(out) > MAX_UNION:
                return None
        return frozenset(out)

    def atom(self, it: _Item) -> Optional[frozenset]:
        """Prefixes of one occurrence of the item's atom."""
        atom = it.atom
        if isinstance(atom, _Chars):
            return self.a.chars(atom)
        if isinstance(atom, _Group) and (atom.kind == "group" or atom.kind == "nocase" and self.a.ignore_case):
            return self.alts(atom.alts)
        return None

    def seq(self, seq: tuple, k: int) -> Optional[frozenset]:
        run = frozenset({""})
        while k < len(seq):
            it = seq[k]
            if isinstance(it.atom, _Zero) or isinstance(it.atom, _Group) and it.atom.kind in ("ahead", "behind"):
                k += 1                          # zero-width: the match starts after it
                continue
            if it.lo == 0:
                rest = self.seq(seq, k + 1)
                own = self.atom(it)
                if rest is None or own is None:
                    return _nonempty(run)
                info = self.a.item(_Item(it.atom, 1, 1))
                with_it = _product(own, rest) if (info is not None and info.exact and it.hi == 1) else own
                if with_it is None:
                    return _nonempty(run)
                both = _product(run, with_it | rest)
                return both if both is not None else _nonempty(run)
            info = self.a.item(_Item(it.atom, 1, 1))
            if info is not None and info.exact and it.lo == it.hi == 1:
                nxt = _product(run, info.lits)
                if nxt is None:
                    return _nonempty(run)
                run = nxt
                k += 1
                continue
            own = self.atom(it)
            if own is None:
                return _nonempty(run)
            nxt = _product(run, own)
            return nxt if nxt is not None else _nonempty(run)
        return _nonempty(run)


def _product(a: frozenset, b: frozenset) -> Optional[frozenset]:
    if len(a) * len(b) > MAX_UNION:
        return None
    return frozenset(x + y for x in a for y in b)


def _nonempty(run: frozenset) -> Optional[frozenset]:
    return None if "" in run else run


class _First:
    """The kinds of character a match can start with, and whether the part can match empty."""

    def chars(self, atom: _Chars, ignore_case: bool) -> frozenset:
        if atom.chars is not None:
            out = frozenset(_kind(c) for c in atom.chars)
        else:
            out = atom.kinds if atom.kinds is not None else _ANY
        if ignore_case and (ALPHA in out or _LETTER in out):
            out |= {ALPHA, _LETTER}
        return out

    def alts(self, alts: tuple, ignore_case: bool) -> tuple[frozenset, bool]:
        out, empty = frozenset(), False
        for seq in alts:
            f, e = self.seq(seq, ignore_case)
            out, empty = out | f, empty or e
        return out, empty

    def seq(self, seq: tuple, ignore_case: bool) -> tuple[frozenset, bool]:
        out = frozenset()
        for it in seq:
            atom = it.atom
            if isinstance(atom, _Zero) or isinstance(atom, _Group) and atom.kind in ("ahead", "behind"):
                continue                      # zero-width: the match starts at the next item
            if isinstance(atom, _Chars):
                f, empty = self.chars(atom, ignore_case), False
            else:
                f, empty = self.alts(atom.alts, ignore_case or atom.kind == "nocase")
            out |= f
            if it.lo > 0 and not empty:
                return out, False
        return out, True


def first_kinds(src: str, *, verbose: bool = True, ignore_case: bool = False) -> frozenset:
    """The kinds (DIGIT, ALPHA, OTHER: `kind_at`) of the character a match of `src` can start
    with; all three when unknown. Where the text's character is of no such kind, the pattern
    cannot match: claims.extract tries its claim patterns at a position only if they can start
    with the kind of character found there (most cannot start with a letter)."""
    try:
        tree = _parse(src, verbose)
    except (_Unknown, ValueError, IndexError):
        return frozenset({DIGIT, ALPHA, OTHER})
    f, empty = _First().alts(tree, ignore_case)
    if empty:
        return frozenset({DIGIT, ALPHA, OTHER})    # an empty match can be anywhere
    return frozenset(OTHER if k == _LETTER else k for k in f)


# --------------------------------------------------------------------------- what follows a leading number
SKIPPED = frozenset(" \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f")     # ASCII white space: skipped before the character after a number
_ASCII_CHARS = tuple(chr(k) for k in range(128))


@functools.lru_cache(maxsize=512)
def _ascii_matches(src: str, ic: bool) -> Optional[frozenset]:
    """The ASCII characters that the one-character regex `src` ('\\s', '[^;]') matches (None: not one)."""
    try:
        pat = regex.compile(src, regex.V0 | (regex.IGNORECASE if ic else 0))
    except regex.error:
        return None
    return frozenset(c for c in _ASCII_CHARS if pat.fullmatch(c))


class _After:
    """after_lead's analysis: where a match begins with the lead (a number) at a digit, the first
    characters after it other than white space (SKIPPED)."""

    def __init__(self, lead: "_Group | None" = None):
        self.lead = lead
        self.memo: dict = {}          # (id of an item, ignore_case) -> _item's answer
        self.frontiers: dict = {}     # text -> the positions after it (after_text)

    def _chars(self, atom: _Chars, ic: bool) -> tuple[frozenset, bool]:
        """(the ASCII characters the atom matches, outside SKIPPED; whether it matches one in SKIPPED)"""
        if atom.chars is not None:
            if ic and any(not c.isascii() for c in atom.chars):
                raise _Unknown("a non-ASCII character ignoring case")    # 'K' (Kelvin) folds to 'k'
            asc = frozenset(x for c in atom.chars if c.isascii() for x in ((c.lower(), c.upper()) if ic else (c,)))
        else:
            if atom.src is None:
                raise _Unknown("any character")
            asc = _ascii_matches(atom.src, ic)
            if asc is None:
                raise _Unknown("a backreference")
        return asc - SKIPPED, bool(asc & SKIPPED)

    def _item(self, it: _Item, ic: bool) -> tuple[frozenset, bool]:
        """(first characters outside SKIPPED, whether the item can match only SKIPPED ones or none)"""
        key = (id(it), ic)
        if key not in self.memo:
            self.memo[key] = self._item_of(it, ic)
        return self.memo[key]

    def _item_of(self, it: _Item, ic: bool) -> tuple[frozenset, bool]:
        a = it.atom
        if isinstance(a, _Zero):
            return frozenset(), True
        if isinstance(a, _Group):
            if a.kind == "behind":
                return frozenset(), True
            if a.kind == "ahead":
                # what it looks at follows here: its first character outside SKIPPED is the text's
                out, through = frozenset(), False
                for seq in a.alts:
                    f, t = self.chain([(seq, ic)])
                    out, through = out | f, through or t
                return (frozenset(), True) if through else (out, False)
            out, through = frozenset(), it.lo == 0
            for seq in a.alts:
                f, t = self.chain([(seq, ic or a.kind == "nocase")])
                out, through = out | f, through or t
            return out, through
        f, sp = self._chars(a, ic)
        return f, sp or it.lo == 0

    def chain(self, levels) -> tuple[frozenset, bool]:
        out = frozenset()
        for seq, ic in levels:
            for it in seq:
                f, t = self._item(it, ic)
                out |= f
                if not t:
                    return out, False
        return out, True

    def lead_alts(self, alts: tuple, ic: bool) -> tuple[list, bool]:
        """(the continuations after the lead, each a list of (items, ignore_case) from the innermost
        out; whether the alternation can match empty at a digit without it)"""
        conts, empty = [], False
        for seq in alts:
            c, e = self.lead_seq(seq, ic)
            conts += c
            empty = empty or e
        return conts, empty

    def lead_seq(self, seq: tuple, ic: bool) -> tuple[list, bool]:
        conts: list = []
        for k, it in enumerate(seq):
            a = it.atom
            if isinstance(a, _Zero) or isinstance(a, _Group) and a.kind in ("ahead", "behind"):
                continue
            if a == self.lead and it.lo == it.hi == 1:
                return conts + [[(seq[k + 1:], ic)]], False
            if isinstance(a, _Group) and it.lo == it.hi == 1:
                inner, empty = self.lead_alts(a.alts, ic or a.kind == "nocase")
                conts += [lv + [(seq[k + 1:], ic)] for lv in inner]
                if empty:
                    continue
                return conts, False
            kinds, nullable = _First().seq((it,), ic)
            if DIGIT in kinds:
                raise _Unknown("another item can start with a digit")
            if not nullable:
                return conts, False            # this alternative cannot match at a digit
        return conts, True


    # -- after a literal text (a start word: "a", "two", "a dozen"), by following the pattern
    # through it character by character (positions: stacks of (items, index, ignore_case) frames)
    def _closure(self, stack: tuple, out: list, seen: set) -> None:
        """The positions reachable from `stack` without consuming: those before a character item
        (None: the end of the pattern). Lookarounds are passed over (a superset)."""
        key = tuple((id(sq), k, ic) for sq, k, ic in stack)
        if key in seen:
            return
        seen.add(key)
        seq, k, ic = stack[-1]
        if k == len(seq):
            if len(stack) == 1:
                out.append(None)
                return
            pseq, pk, pic = stack[-2]
            item = pseq[pk]
            self._closure(stack[:-2] + ((pseq, pk + 1, pic),), out, seen)
            if item.hi is None or item.hi > 1:            # a repeated group: again
                for alt in item.atom.alts:
                    self._closure(stack[:-1] + ((alt, 0, pic or item.atom.kind == "nocase"),), out, seen)
            return
        it = seq[k]
        a = it.atom
        if isinstance(a, _Zero) or isinstance(a, _Group) and a.kind in ("ahead", "behind"):
            self._closure(stack[:-1] + ((seq, k + 1, ic),), out, seen)
            return
        if it.lo == 0:
            self._closure(stack[:-1] + ((seq, k + 1, ic),), out, seen)
        if isinstance(a, _Group):
            for alt in a.alts:
                self._closure(stack + ((alt, 0, ic or a.kind == "nocase"),), out, seen)
        else:
            out.append(stack)

    @staticmethod
    def _takes(atom: _Chars, ch: str) -> bool:
        """Can the character item match `ch` in either case (a superset of what it matches)?"""
        if atom.chars is not None:
            cs = atom.chars
            return ch in cs or ch.lower() in cs or ch.upper() in cs or any(not c.isascii() for c in cs)
        if atom.src is None:
            return True
        asc = _ascii_matches(atom.src, True)
        return asc is None or ch in asc

    def _frontier(self, tree: tuple, text: str, ic: bool) -> Optional[list]:
        """The positions after `text` (None: a match can end inside it), kept per text: the start
        words share their beginnings ('t' of two, ten, three)."""
        if text in self.frontiers:
            return self.frontiers[text]
        if not text:
            out: Optional[list] = []
            seen: set = set()
            for alt in tree:
                self._closure(((alt, 0, ic),), out, seen)
        else:
            prev = self._frontier(tree, text[:-1], ic)
            if prev is None or None in prev:
                out = None                    # a match can end inside the text
            else:
                ch, out, seen = text[-1], [], set()
                for stack in prev:
                    seq, k, fic = stack[-1]
                    it = seq[k]
                    if self._takes(it.atom, ch):
                        self._closure(stack[:-1] + ((seq, k + 1, fic),), out, seen)
                        if it.hi is None or it.hi > 1:
                            self._closure(stack, out, seen)
        self.frontiers[text] = out
        return out

    def after_text(self, tree: tuple, text: str, ic: bool) -> Optional[frozenset]:
        frontier = self._frontier(tree, text, ic)
        if frontier is None or None in frontier:
            return None
        out = frozenset()
        for stack in frontier:
            levels = [(stack[-1][0][stack[-1][1]:], stack[-1][2])]
            for f in range(len(stack) - 2, -1, -1):
                pseq, pk, pic = stack[f]
                if pseq[pk].hi != 1:
                    return None               # inside a repeated group: it may come again
                levels.append((pseq[pk + 1:], pic))
            fs, through = self.chain(levels)
            if through:
                return None
            out |= fs
        return out


class AfterText:
    """For a text a match of `src` may start with (a start word: "a", "two", "a dozen"; ASCII),
    `of(text)`: the ASCII characters outside SKIPPED that can come first after it in a match that
    starts with it (in any case), as after_lead; None when unknown or when the match can end there
    or inside it. Worked out on first use per text (the pattern followed character by character),
    then kept. claims.extract tries at a start word only the claim patterns whose set holds the
    character after it."""

    __slots__ = ("src", "verbose", "ignore_case", "tree", "an", "known")

    def __init__(self, src: str, *, verbose: bool = True, ignore_case: bool = False):
        self.src, self.verbose, self.ignore_case = src, verbose, ignore_case
        self.tree, self.an, self.known = None, _After(), {}

    def of(self, text: str) -> Optional[frozenset]:
        if text not in self.known:
            try:
                if self.tree is None:
                    self.tree = _parse(self.src, self.verbose)
                self.known[text] = self.an.after_text(self.tree, text, self.ignore_case)
            except (_Unknown, ValueError, IndexError, RecursionError):
                self.known[text] = None
        return self.known[text]


def after_lead(src: str, lead: str, *, verbose: bool = True, ignore_case: bool = False) -> Optional[frozenset]:
    """Where a match of `src` starts at an ASCII digit, it starts with `lead` (a number pattern, e.g.
    {DIGITS}, atomic: its match there does not depend on what follows), and the first character
    after the lead's match that is not white space (SKIPPED) is one of these ASCII characters, or a
    non-ASCII one; None when unknown, or when the match can end there (anything may follow). An
    empty set: `src` never matches at a digit. claims.extract tries at a number only the claim
    patterns whose set holds the character after it."""
    try:
        tree = _parse(src, verbose)
        lt = _parse(lead, verbose)
        if len(lt) != 1 or len(lt[0]) != 1 or not isinstance(lt[0][0].atom, _Group):
            return None
        an = _After(lt[0][0].atom)
        conts, empty = an.lead_alts(tree, ignore_case)
        if empty:
            return None
        out = frozenset()
        for levels in conts:
            f, through = an.chain(levels)
            if through:
                return None
            out |= f
        return out
    except (_Unknown, ValueError, IndexError):
        return None


def literal_prefixes(src: str, *, verbose: bool = True, ignore_case: bool = False) -> Optional[frozenset]:
    """Strings of which every match of `src` starts with one (lower-cased with `ignore_case`), or
    None when unknown. A scan for them finds every place where the pattern can match."""
    try:
        tree = _parse(src, verbose)
    except (_Unknown, ValueError, IndexError):
        return None
    out = _Prefixes(ignore_case).alts(tree)
    return out if out else None


class PrefixScan:
    """`pattern.finditer(text)` that tries the pattern only where one of its literal prefixes
    starts (one zero-width `re` scan), the same matches as the pattern's own scan: no match can
    start elsewhere, and each match is non-empty (it starts with a non-empty literal), so the
    scan resumes at its end exactly as finditer does (or at the next place, `overlapped`).

    `before`: a lookbehind the pattern starts with, to leave out places it rejects anyway.
    Only ASCII text is scanned this way (lower-cased for an IGNORECASE pattern, `folded`): in
    other text `re` and `regex` can disagree on case folding and on what a word character is
    ('½' is one for `re`), so the pattern's own scan runs there."""

    __slots__ = ("pattern", "starts", "folded", "by_first", "skip", "after_skip")

    def __init__(self, pattern, src: str, *, verbose: bool, folded: bool, before: str = "", by_first=None):
        self.pattern = pattern
        self.folded = folded
        # `by_first` (by_first_char): per first character, the pattern with only the alternatives
        # that can start with it (the same first match: the others cannot match there)
        self.by_first = by_first or None
        pre = literal_prefixes(src, verbose=verbose, ignore_case=folded)
        self.starts = None if not pre else re.compile(
            before + "(?=" + factor_first([re.escape(x) for x in longest_first(sorted(pre))], ignore_case=False) + ")")
        # the same places, found faster (`_skip_scan`): `re` skips ahead only to a character a
        # match can begin with, which a scan led by a lookbehind or a lookahead never does
        self.skip, self.after_skip = (None, 0) if not pre else _skip_scan(before, sorted(pre))

    def finditer(self, text: str, overlapped: bool = False):
        if self.starts is None or not text.isascii():
            return self.pattern.finditer(text, overlapped=overlapped)
        return self._scan(text, overlapped)

    def _scan(self, text: str, overlapped: bool):
        match = self.pattern.match
        by = self.by_first
        end = 0
        seen = text.lower() if self.folded else text
        if self.skip is None:
            places = [m0.start() for m0 in self.starts.finditer(seen)]
        else:
            k = self.after_skip
            places = [m0.start() + k for m0 in self.skip.finditer(seen)]
            if k and self.starts.match(seen):
                places.insert(0, 0)           # the place the skip scan cannot see: the text's start
        for p in places:
            if p >= end:
                mm = match(text, p) if by is None else (by.get(seen[p]) or self.pattern).match(text, p)
                if mm is not None:
                    yield mm
                    if not overlapped:
                        end = mm.end()


_NOT_BEFORE = re.compile(r"\(\?<!\[([^\]\[]*)\]\)")


def _skip_scan(before: str, prefixes: list[str]):
    """A consuming `re` scan that finds the places of `before + (?=prefix|...)` (a zero-width scan:
    `re` tries it at every position) and the offset from each of its matches to that place, or
    (None, 0) for a `before` of another form. With a `before` of the form `(?<![C])`, the scan is
    `[^C](?=prefix|...)`: a character outside C, then a prefix (the place is one after it;
    `re` skips to a character of [^C], mostly spaces); the text's start, where the lookbehind
    holds too, is tested apart. Without `before`, each prefix's first character is consumed and
    the rest looked ahead at (`re` skips to one of those first characters); the place is the
    match's start. Either way the places are the same, in the same order: each match consumes one
    character, so the next scan starts one after it, as a zero-width scan moves on by one."""
    alt = factor_first([re.escape(x) for x in longest_first(prefixes)], ignore_case=False)
    if before:
        mm = _NOT_BEFORE.fullmatch(before)
        if mm is None:
            return None, 0
        return re.compile("[^" + mm.group(1) + "](?=" + alt + ")"), 1
    firsts: dict[str, list[str]] = {}
    for x in longest_first(prefixes):
        firsts.setdefault(x[0], []).append(x[1:])
    parts = [re.escape(ch) + ("" if "" in rests else "(?=" + "|".join(re.escape(r) for r in rests) + ")")
             for ch, rests in firsts.items()]
    return re.compile("(?:" + "|".join(parts) + ")"), 0


def prefix_places(src: str, verbose: bool, folded: bool):
    """A consuming `re` scan whose matches start exactly where one of the literal prefixes of
    `src` (literal_prefixes; lower-cased with `folded`, for lower-cased ASCII text) starts, one
    character each, so that finditer gives every such place in order; None when the prefixes are
    unknown."""
    pre = literal_prefixes(src, verbose=verbose, ignore_case=folded)
    return None if not pre else _skip_scan("", sorted(pre))[0]


class _CompiledOnUse(dict):
    """Character -> regex source, compiled (and kept) by the first get(character): a text uses few
    of the ~40 first characters (compiling them all cost 0.2 s of start-up)."""

    __slots__ = ("flags",)

    def __init__(self, flags: int):
        super().__init__()
        self.flags = flags

    def get(self, ch, default=None):
        pat = dict.get(self, ch)
        if pat is None:
            return default
        if isinstance(pat, str):
            pat = self[ch] = regex.compile(pat, self.flags)
        return pat


def by_first_char(head: str, alternatives: list[str], tail: str, flags: int, *, folded: bool,
                  names: list[tuple[str, ...]]) -> dict:
    """For `regex.compile(head + "|".join(alternatives) + tail, flags)` (an alternation between a
    zero-width head and tail), the same pattern per first character of the text (lower-cased ASCII
    when `folded`) with only the alternatives that can start with it, in their order: the first
    alternative that matches at a place is the same, and an alternation tries its alternatives one
    by one (166 metric synonyms). An alternative whose first characters are unknown or not ASCII is
    kept in every one. `names`: the named groups of each alternative."""
    firsts = []
    out = _CompiledOnUse(flags)
    for alt in alternatives:
        pre = literal_prefixes(alt, verbose=False, ignore_case=folded)
        firsts.append(None if not pre or any(not x[0].isascii() for x in pre) else {x[0] for x in pre})
    for ch in sorted(set().union(*(f for f in firsts if f))):
        keep = [a for a, f in zip(alternatives, firsts) if f is None or ch in f]
        # the left-out alternatives' groups, in a last alternative that never matches: the matches
        # have the same groups (groupdict) as the whole pattern's
        gone = [n for a, f, ns in zip(alternatives, firsts, names) if not (f is None or ch in f) for n in ns]
        dead = ["(?!)(?:" + "".join(f"(?P<{n}>)" for n in gone) + ")"] if gone else []
        out[ch] = head + "|".join(keep + dead) + tail
    return out


class Filtered:
    """A pattern searched only in texts that hold one of its required literals (required_literals;
    lower-cased ASCII text for an IGNORECASE pattern): the context cues, searched in short windows
    around every claim, mostly find none of their words there."""

    __slots__ = ("pattern", "need", "folded")

    def __init__(self, pattern, src: str, verbose: bool, folded: bool):
        self.pattern = pattern
        self.folded = folded
        self.need = need_regex(src, verbose, folded)

    def _absent(self, text: str) -> bool:
        need = self.need
        if need is None:
            return False
        if self.folded:
            if not text.isascii():
                return False
            text = text.lower()
        return need.search(text) is None

    def search(self, text: str):
        return None if self._absent(text) else self.pattern.search(text)

    def finditer(self, text: str):
        return iter(()) if self._absent(text) else self.pattern.finditer(text)


class Words:
    """An IGNORECASE alternation of plain words, searched with the standard library's `re` in the
    lower-cased text when the text is ASCII (3x faster than `regex` with IGNORECASE on a word
    list), and with the `regex` alternation itself otherwise (where case folding and word
    boundaries are Unicode matters): the same matches either way. `words` are regex sources of
    literal words; `bounded`: they must start (and end) at a word boundary."""

    __slots__ = ("ascii", "other", "skip")

    def __init__(self, words: list[str], bounded: str = ""):
        folded = longest_first(sorted({w.lower() for w in words}))
        alt = factor_first([re.escape(w) for w in folded], ignore_case=False)
        lead, tail = {"": ("", ""), "start": (r"\b", ""), "both": (r"\b", r"\b")}[bounded]
        self.ascii = re.compile(lead + "(?:" + alt + ")" + tail)
        self.other = regex.compile(lead + "(?:" + factor_first([regex.escape(w) for w in folded], ignore_case=True)
                                   + ")" + tail, regex.IGNORECASE | regex.V0)
        # words that start with a word character start at a boundary where the character before
        # is none (or at the text's start): `re` skips ahead to such a character (mostly a space)
        # and tries the words after it, instead of trying \b at every position (`_find`)
        self.skip = re.compile(r"\W(?:" + alt + ")" + tail) if lead and all(
            re.match(r"\w", w) for w in folded) else None

    def _find(self, low: str, pos: int):
        """The match `self.ascii.search(low, pos)` finds: at `pos` itself when that is the text's
        start, else one after the first non-word character (at pos - 1 or later) that the words
        follow."""
        if pos == 0:
            mm = self.ascii.match(low)
            if mm is not None:
                return mm
        q = self.skip.search(low, max(0, pos - 1))
        return None if q is None else self.ascii.match(low, q.start() + 1)

    def _iter(self, low: str):
        pos = 0
        while True:
            mm = self._find(low, pos)
            if mm is None:
                return
            yield mm
            pos = mm.end()            # the words are not empty: as finditer, from the match's end

    def search(self, text: str):
        if not text.isascii():
            return self.other.search(text)
        return self.ascii.search(text.lower()) if self.skip is None else self._find(text.lower(), 0)

    def finditer(self, text: str):
        if not text.isascii():
            return self.other.finditer(text)
        return self.ascii.finditer(text.lower()) if self.skip is None else self._iter(text.lower())


def re_flags(flags: int) -> int:
    """The standard library's flags for a `regex` pattern's flags (V0 semantics)."""
    out = 0
    for rx, std in ((regex.IGNORECASE, re.IGNORECASE), (regex.VERBOSE, re.VERBOSE),
                    (regex.MULTILINE, re.MULTILINE), (regex.DOTALL, re.DOTALL)):
        if flags & rx:
            out |= std
    return out


def re_agrees(text: str) -> bool:
    """True when the standard library's `re` finds in `text` what `regex` finds, for a pattern
    both parse: the text is ASCII without the separators \\x1c-\\x1f, which `re`'s \\s matches
    (str.isspace) and `regex`'s does not; elsewhere in ASCII \\w, \\b, \\d, \\s and case folding
    are the same in both. (Four `in` tests: 8x faster than one regex search for the set.)"""
    return text.isascii() and not ("\x1c" in text or "\x1d" in text or "\x1e" in text or "\x1f" in text)


class AsciiRe:
    """A pattern run by the standard library's `re` where it finds what `regex` finds
    (`re_agrees`: ASCII text without \\x1c-\\x1f), and by `regex` on other text.

    `re` is much faster on some patterns (a scan for capitalised names: 2.7x) and slower on others
    (a scan led by \\d), so it is chosen per pattern, where measured; tests/test_literals.py and
    tests/test_extract.py compare the two. `re` has no timeout: text that needs one goes to `regex`."""

    __slots__ = ("pattern", "fast")

    def __init__(self, src: str, flags: int = 0):
        self.pattern = regex.compile(src, flags | regex.V0)
        self.fast = re.compile(src, re_flags(flags))

    def search(self, text: str):
        return (self.fast if re_agrees(text) else self.pattern).search(text)

    def finditer(self, text: str):
        return (self.fast if re_agrees(text) else self.pattern).finditer(text)


def need_regex(src: str, verbose: bool, folded: bool):
    """`re` over the required literals of a pattern (required_literals), or None when none is known
    or one is a single common character (a letter, '-', ...: found nearly everywhere, the search
    would not pay; '<' or '%' do)."""
    lits = required_literals(src, verbose=verbose, ignore_case=folded)
    if not lits or any(len(x) < 2 and (x.isalnum() or x.isspace() or x in "-.,") for x in lits):
        return None
    return re.compile("|".join(re.escape(x) for x in sorted(lits, key=lambda x: (-len(x), x))))
