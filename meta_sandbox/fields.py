"""The `fields=` expression: `a,b{c,d},e.limit(5){x},f.fields(x,y).limit(2),g.summary(true)`."""

from __future__ import annotations

from dataclasses import dataclass, field

from . import errors

_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")
MODIFIERS = ("limit", "fields", "summary", "filtering", "order")


@dataclass
class Sel:
    """One selected field, with its own sub-selection and edge modifiers."""

    name: str
    children: list[Sel] | None = None
    limit: int | None = None
    summary: bool = False
    modifiers: dict[str, str] = field(default_factory=dict)


def parse_fields(text: str | None) -> list[Sel] | None:
    """None when no fields were asked for (the node's default fields apply)."""
    if text is None:
        return None
    text = str(text).strip()
    if not text:
        return None
    parser = _Parser(text)
    selection = parser.parse_list(top=True)
    return selection


class _Parser:
    def __init__(self, text: str):
        self.text = text
        self.pos = 0

    def fail(self, expected: str):
        found = self.text[self.pos] if self.pos < len(self.text) else "end of string"
        raise errors.syntax_error(f'"Expected {expected} instead of "{found}"." at character {self.pos}: {self.text}')

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def skip_spaces(self):
        while self.peek() == " ":
            self.pos += 1

    def name(self) -> str:
        self.skip_spaces()
        start = self.pos
        while self.peek() and self.peek() in _NAME_CHARS:
            self.pos += 1
        if start == self.pos:
            self.fail("a field name")
        return self.text[start:self.pos]

    def parse_list(self, top: bool) -> list[Sel]:
        items = [self.parse_item()]
        while True:
            self.skip_spaces()
            char = self.peek()
            if char == ",":
                self.pos += 1
                items.append(self.parse_item())
                continue
            if top and char:
                self.fail("end of string")
            if not top and char not in ("}", ")"):
                self.fail('"}"')
            return items

    def parse_item(self) -> Sel:
        sel = Sel(self.name())
        while True:
            self.skip_spaces()
            char = self.peek()
            if char == "{":
                if sel.children is not None:
                    self.fail('","')
                self.pos += 1
                sel.children = self.parse_list(top=False)
                if self.peek() != "}":
                    self.fail('"}"')
                self.pos += 1
            elif char == ".":
                self.pos += 1
                self.parse_modifier(sel)
            else:
                return sel

    def parse_modifier(self, sel: Sel):
        modifier = self.name()
        if modifier not in MODIFIERS:
            self.pos -= len(modifier)
            self.fail("one of " + ", ".join(MODIFIERS))
        if self.peek() != "(":
            self.fail('"("')
        self.pos += 1
        if modifier == "fields":
            sel.children = self.parse_list(top=False)
            if self.peek() != ")":
                self.fail('")"')
            self.pos += 1
            return
        start = self.pos
        depth = 1
        while self.pos < len(self.text):
            char = self.text[self.pos]
            if char == "(":
                depth += 1
            elif char == ")":
                depth -= 1
                if depth == 0:
                    break
            self.pos += 1
        else:
            self.fail('")"')
        argument = self.text[start:self.pos].strip()
        self.pos += 1
        if modifier == "limit":
            if not argument.isdigit():
                self.pos = start
                self.fail("a number")
            sel.limit = int(argument)
        elif modifier == "summary":
            sel.summary = argument.lower() in ("true", "1", "total_count")
        else:
            sel.modifiers[modifier] = argument


def names(selection: list[Sel] | None) -> list[str]:
    return [s.name for s in selection or []]


def to_text(selection: list[Sel]) -> str:
    """The `fields=` text for a selection (used in paging links of nested edges)."""
    parts = []
    for sel in selection:
        text = sel.name
        if sel.limit is not None:
            text += f".limit({sel.limit})"
        if sel.summary:
            text += ".summary(true)"
        if sel.children:
            text += "{" + to_text(sel.children) + "}"
        parts.append(text)
    return ",".join(parts)
