"""The criteria language of risk profiles: tokenised and parsed by hand, never evaluated as code.

A criterion is a boolean expression over one declaration item, its parties and the network:

    hs ^= "2402" and origin in ["AE", "TR"] and transit has "TM"
    uv_ratio < 0.5 and consignee.risk >= 0.6
    not party.in_group or (consignee.new and value > 50000)
    party.on_watchlist or consignee.watchlist_hit >= 0.9 or carrier.watchlists has "own"

Grammar (recursive descent, one function per rule):

    expr  := and ("or" and)*
    and   := not ("and" not)*
    not   := "not" not | "(" expr ")" | cond
    cond  := FIELD [op value]            -- a bare field must be boolean
    op    := = | == | != | < | <= | > | >= | ^= | in | not in | has
    value := STRING | NUMBER | true | false | "[" value ("," value)* "]"

Fields are a closed table (`FIELDS`): an unknown field, an operator its type does not take, or a value
of the wrong type is refused at parse time with a `ParseError` giving the position, so a profile
that loads is a profile that evaluates. Party fields read `<role>.<attr>` for one role
(declarant, consignee, consignor, carrier, broker) or `party.<attr>` for any of them. Why not eval or
a general grammar library: the text comes from users, the language is tiny, and a hand parser gives
the error messages an analyst can act on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

FieldType = Literal["str", "num", "bool", "list"]

#: item fields: name -> (type, the frame column or derived value, plain words)
ITEM_FIELDS: dict[str, tuple[FieldType, str]] = {
    "hs": ("str", "declared commodity code (digits); `hs ^= \"2402\"` matches a prefix"),
    "origin": ("str", "country of origin (ISO2)"),
    "dispatch": ("str", "country of dispatch (ISO2)"),
    "transit": ("list", "transit countries; `transit has \"TM\"`"),
    "third_country": ("bool", "dispatched from a country other than the origin (both known)"),
    "border_post": ("str", "border post of entry or exit"),
    "mode": ("str", "transport mode (road, rail, air, sea, post, pipeline or the WCO code)"),
    "value": ("num", "declared customs value"),
    "mass": ("num", "net mass in kg (gross where net is missing)"),
    "uv": ("num", "declared value per kg"),
    "uv_ratio": ("num", "value per kg divided by the usual value per kg of the HS code (HS6, else HS4, HS2)"),
    "duty_rate": ("num", "duty rate in percent"),
    "declarant": ("str", "declarant's party key (source:party_id)"),
    "consignee": ("str", "consignee's party key"),
    "consignor": ("str", "consignor's party key"),
    "carrier": ("str", "carrier's party key"),
    "broker": ("str", "broker's party key"),
    "trader.category": ("str", "trader category (low, medium, high) of the liable party's entity (consignee, "
                               "else declarant), its latest month"),
}
ROLES = ("declarant", "consignee", "consignor", "carrier", "broker")
#: party attributes, read as <role>.<attr> or party.<attr> (any role)
PARTY_FIELDS: dict[str, tuple[FieldType, str]] = {
    "risk": ("num", "network risk of the party's resolved entity (0..1)"),
    "group": ("str", "id of the linked group (shell-company network) the party belongs to"),
    "in_group": ("bool", "the party belongs to a linked group"),
    "phoenix": ("bool", "the party is a phoenix successor of an offender"),
    "age_days": ("num", "days from the party's registration to the declaration date"),
    "new": ("bool", "the party was registered less than a year before the declaration date"),
    "offender_hops": ("num", "identifier/officer links between the party's entity and the nearest offender"),
    "category": ("str", "trader category (low, medium, high) of the party's resolved entity, latest month"),
    "on_watchlist": ("bool", "the party is a screening hit on a sanctions list or watchlist (new or "
                             "confirmed; a hit marked false positive never counts)"),
    "watchlist_hit": ("num", "the party's best screening hit (0..1; a confirmed hit counts 1, none 0)"),
    "watchlists": ("list", "the lists the party is a screening hit on; `consignee.watchlists has \"ofac\"`"),
}

OPS_BY_TYPE: dict[FieldType, tuple[str, ...]] = {
    "str": ("=", "!=", "^=", "in", "not in"),
    "num": ("=", "!=", "<", "<=", ">", ">="),
    "bool": ("=", "!="),
    "list": ("has",),
}

MAX_LENGTH = 4000
MAX_DEPTH = 50


class ParseError(ValueError):
    """A criterion the language refuses: what is wrong, and where (0-based character offset)."""

    def __init__(self, message: str, text: str, pos: int):
        self.reason, self.text, self.pos = message, text, pos
        super().__init__(f"{message} at column {pos + 1} of {text[:200]!r}")


def field_type(name: str) -> FieldType | None:
    """The type of a field name, None when the language has no such field."""
    if name in ITEM_FIELDS:
        return ITEM_FIELDS[name][0]
    role, dot, attr = name.partition(".")
    if dot and (role in ROLES or role == "party") and attr in PARTY_FIELDS:
        return PARTY_FIELDS[attr][0]
    return None


def fields_doc() -> dict[str, str]:
    """Every field with its type and plain words (served by the API and the docs)."""
    out = {k: f"{t}: {d}" for k, (t, d) in ITEM_FIELDS.items()}
    out.update({f"<role>.{k}": f"{t}: {d}" for k, (t, d) in PARTY_FIELDS.items()})
    return out


# --------------------------------------------------------------------------- the tree

Scalar = str | float | bool


@dataclass(frozen=True)
class Cond:
    field: str
    op: str  # "is" for a bare boolean field
    value: Scalar | tuple[Scalar, ...] | None
    pos: int

    def text(self) -> str:
        if self.op == "is":
            return self.field
        v = self.value
        shown = "[" + ", ".join(_show(x) for x in v) + "]" if isinstance(v, tuple) else _show(v)
        return f"{self.field} {self.op} {shown}"


@dataclass(frozen=True)
class Not:
    arg: Node


@dataclass(frozen=True)
class And:
    args: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    args: tuple[Node, ...]


Node = Cond | Not | And | Or


def _show(v: Scalar | None) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return format(v, "g")


def conditions(node: Node) -> list[Cond]:
    """The leaf tests of a tree, left to right (the reasons name the ones that held)."""
    if isinstance(node, Cond):
        return [node]
    if isinstance(node, Not):
        return conditions(node.arg)
    return [t for a in node.args for t in conditions(a)]


# --------------------------------------------------------------------------- tokens

_TOKEN = re.compile(r"""
    (?P<ws>\s+)
  | (?P<num>-?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?)
  | (?P<str>"(?:[^"\\]|\\.)*")
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)?)
  | (?P<op>==|!=|<=|>=|\^=|=|<|>)
  | (?P<punct>[()\[\],])
""", re.VERBOSE)
KEYWORDS = {"and", "or", "not", "in", "has", "true", "false"}


@dataclass(frozen=True)
class Tok:
    kind: str  # num, str, name, kw, op, punct, end
    text: str
    pos: int


def tokenize(text: str) -> list[Tok]:
    if len(text) > MAX_LENGTH:
        raise ParseError(f"criteria longer than {MAX_LENGTH} characters", text, MAX_LENGTH)
    out: list[Tok] = []
    i = 0
    while i < len(text):
        m = _TOKEN.match(text, i)
        if m is None:
            ch = text[i]
            what = "an unterminated string" if ch == '"' else f"an unexpected character {ch!r}"
            raise ParseError(what, text, i)
        kind = m.lastgroup or ""
        if kind != "ws":
            word = m.group()
            if kind == "name" and word.lower() in KEYWORDS:
                out.append(Tok("kw", word.lower(), i))
            else:
                out.append(Tok(kind, word, i))
        i = m.end()
    out.append(Tok("end", "", len(text)))
    return out


def _unquote(s: str) -> str:
    return re.sub(r"\\(.)", r"\1", s[1:-1])


# --------------------------------------------------------------------------- parser

class _Parser:
    def __init__(self, text: str):
        self.text, self.toks, self.i, self.depth = text, tokenize(text), 0, 0

    @property
    def tok(self) -> Tok:
        return self.toks[self.i]

    def fail(self, message: str, tok: Tok | None = None) -> ParseError:
        t = tok or self.tok
        return ParseError(message, self.text, t.pos)

    def take(self, kind: str, text: str | None = None) -> Tok | None:
        t = self.tok
        if t.kind == kind and (text is None or t.text == text):
            self.i += 1
            return t
        return None

    def parse(self) -> Node:
        if self.tok.kind == "end":
            raise self.fail("empty criteria")
        node = self.expr()
        if self.tok.kind != "end":
            raise self.fail(f"expected and/or or the end, found {self.tok.text!r}")
        return node

    def expr(self) -> Node:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.fail(f"criteria nested deeper than {MAX_DEPTH}")
        args = [self.conj()]
        while self.take("kw", "or"):
            args.append(self.conj())
        self.depth -= 1
        return args[0] if len(args) == 1 else Or(tuple(args))

    def conj(self) -> Node:
        args = [self.neg()]
        while self.take("kw", "and"):
            args.append(self.neg())
        return args[0] if len(args) == 1 else And(tuple(args))

    def neg(self) -> Node:
        if self.take("kw", "not"):
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise self.fail(f"criteria nested deeper than {MAX_DEPTH}")
            node: Node = Not(self.neg())
            self.depth -= 1
            return node
        if self.take("punct", "("):
            node = self.expr()
            if not self.take("punct", ")"):
                raise self.fail(f"expected ')', found {self.tok.text or 'the end'!r}")
            return node
        return self.cond()

    def cond(self) -> Cond:
        t = self.tok
        if t.kind != "name":
            raise self.fail(f"expected a field name, found {t.text or 'the end'!r}")
        ftype = field_type(t.text)
        if ftype is None:
            raise self.fail(f"unknown field {t.text!r} (fields: {', '.join(fields_doc())})")
        self.i += 1
        op_tok = self.tok
        op = self._op()
        if op is None:
            if ftype != "bool":
                raise self.fail(f"{t.text} is a {ftype} field: it needs an operator "
                                f"({', '.join(OPS_BY_TYPE[ftype])})")
            return Cond(t.text, "is", None, t.pos)
        if op not in OPS_BY_TYPE[ftype]:
            raise self.fail(f"{t.text} is a {ftype} field: {op!r} does not apply "
                            f"(use {', '.join(OPS_BY_TYPE[ftype])})", op_tok)
        value_tok = self.tok
        value = self.value()
        self._check(t.text, ftype, op, value, value_tok)
        return Cond(t.text, op, value, t.pos)

    def _op(self) -> str | None:
        if (t := self.take("op")) is not None:
            return "=" if t.text == "==" else t.text
        if self.take("kw", "in"):
            return "in"
        if self.take("kw", "has"):
            return "has"
        if self.tok.kind == "kw" and self.tok.text == "not" and self.toks[self.i + 1].text == "in":
            self.i += 2
            return "not in"
        return None

    def value(self) -> Scalar | tuple[Scalar, ...]:
        if self.take("punct", "["):
            items = [self.scalar()]
            while self.take("punct", ","):
                items.append(self.scalar())
            if not self.take("punct", "]"):
                raise self.fail(f"expected ',' or ']', found {self.tok.text or 'the end'!r}")
            return tuple(items)
        return self.scalar()

    def scalar(self) -> Scalar:
        t = self.tok
        if t.kind == "str":
            self.i += 1
            return _unquote(t.text)
        if t.kind == "num":
            self.i += 1
            return float(t.text)
        if t.kind == "kw" and t.text in ("true", "false"):
            self.i += 1
            return t.text == "true"
        raise self.fail("expected a value (a \"string\", a number, true or false), "
                        f"found {t.text or 'the end'!r}")

    def _check(self, name: str, ftype: FieldType, op: str, value, tok: Tok) -> None:
        is_list = isinstance(value, tuple)
        if op in ("in", "not in") and not is_list:
            raise self.fail(f"{name} {op} needs a list such as [\"AE\", \"TR\"]", tok)
        if op in ("=", "!=", "<", "<=", ">", ">=") and is_list:
            raise self.fail(f"{name} {op} takes one value, not a list (use in)", tok)
        want = {"str": str, "list": str, "num": float, "bool": bool}[ftype]
        for v in value if is_list else (value,):
            if type(v) is not want:
                kind = {str: "a string", float: "a number", bool: "true or false"}[want]
                raise self.fail(f"{name} takes {kind}, not {_show(v)}", tok)
        if op == "^=" and any(v == "" for v in (value if is_list else (value,))):
            raise self.fail(f"{name} ^= needs a non-empty prefix", tok)


def parse(text: str) -> Node:
    """The tree of a criteria text; `ParseError` (with the position) for anything the language refuses."""
    if not isinstance(text, str):
        raise ParseError("criteria must be text", repr(text), 0)
    return _Parser(text).parse()
