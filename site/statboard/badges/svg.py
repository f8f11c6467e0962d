"""Badges in the shields.io look (the "flat" style): a grey label and a coloured value.

Text widths are those of Verdana 11px (the font the badge names first), per
character, as shields.io measures them; characters without a width of their own get
the width of a wide letter, and East Asian wide ones two. Labels and values are
cleaned of what XML cannot hold; the template escapes the rest.
"""

import re
import unicodedata
from dataclasses import dataclass

# shields.io's named colours; a value may also be a hex colour (3 or 6 digits).
COLORS = {
    "brightgreen": "#4c1",
    "green": "#97ca00",
    "yellowgreen": "#a4a61d",
    "yellow": "#dfb317",
    "orange": "#fe7d37",
    "red": "#e05d44",
    "blue": "#007ec6",
    "lightgrey": "#9f9f9f",
    "grey": "#555",
    "success": "#4c1",
    "important": "#fe7d37",
    "critical": "#e05d44",
    "informational": "#007ec6",
    "inactive": "#9f9f9f",
}
HEX_COLOR = re.compile(r"#?([0-9a-fA-F]{3}|[0-9a-fA-F]{6})\Z")
NOT_XML = re.compile("[\x00-\x1f\x7f\ufffe\uffff]")  # no XML 1.0 document may hold these
MAX_TEXT = 100  # characters of a label or value

# Verdana 11px advance widths (px), rounded to a tenth.
WIDTHS = {
    " ": 3.9, "!": 4.7, '"': 5.5, "#": 9.2, "$": 7.0, "%": 12.0, "&": 8.0, "'": 3.0,
    "(": 4.9, ")": 4.9, "*": 7.0, "+": 9.2, ",": 4.0, "-": 5.0, ".": 4.0, "/": 4.9,
    ":": 4.9, ";": 4.9, "<": 9.2, "=": 9.2, ">": 9.2, "?": 6.0, "@": 11.0, "[": 4.9,
    "\\": 4.9, "]": 4.9, "^": 9.2, "_": 7.0, "`": 7.0, "{": 7.0, "|": 4.9, "}": 7.0,
    "~": 9.2,
    "a": 6.6, "b": 6.8, "c": 5.7, "d": 6.8, "e": 6.6, "f": 3.8, "g": 6.8, "h": 7.0,
    "i": 3.0, "j": 3.8, "k": 6.5, "l": 3.0, "m": 10.7, "n": 7.0, "o": 6.7, "p": 6.8,
    "q": 6.8, "r": 4.7, "s": 5.7, "t": 4.3, "u": 7.0, "v": 6.5, "w": 9.0, "x": 6.5,
    "y": 6.5, "z": 5.8,
    "A": 7.5, "B": 7.6, "C": 7.7, "D": 8.5, "E": 7.0, "F": 6.3, "G": 8.5, "H": 8.3,
    "I": 4.6, "J": 5.0, "K": 7.6, "L": 6.1, "M": 9.4, "N": 8.2, "O": 8.7, "P": 6.6,
    "Q": 8.7, "R": 7.7, "S": 7.5, "T": 6.8, "U": 8.1, "V": 7.5, "W": 10.9, "X": 7.5,
    "Y": 6.8, "Z": 7.5,
}  # fmt: skip
WIDTHS.update({digit: 7.0 for digit in "0123456789"})
OTHER_WIDTH = 7.5
PADDING = 5  # px of colour on either side of a text


class BadColor(ValueError):
    pass


def clean_text(text: str) -> str:
    """What a badge may show: no characters XML forbids, at most MAX_TEXT of them."""
    return NOT_XML.sub("", text).strip()[:MAX_TEXT]


def color_of(name: str) -> str:
    """The fill of a named or hex colour; BadColor says which are allowed."""
    if name.lower() in COLORS:
        return COLORS[name.lower()]
    if HEX_COLOR.match(name):
        return "#" + name.lstrip("#").lower()
    raise BadColor(
        f"The colour {name[:30]!r} is unknown: use a hex colour like 4c1 or ff8800, or one "
        f"of {', '.join(COLORS)}."
    )


def text_width(text: str) -> float:
    width = 0.0
    for char in text:
        if char in WIDTHS:
            width += WIDTHS[char]
        elif unicodedata.east_asian_width(char) in ("W", "F"):
            width += 2 * OTHER_WIDTH
        elif not unicodedata.combining(char):
            width += OTHER_WIDTH
    return width


@dataclass(frozen=True)
class Badge:
    label: str
    message: str
    color: str  # a name of COLORS or a hex colour

    def layout(self) -> dict:
        """What the flat template draws: boxes and text positions, in px (texts are
        drawn at 10x and scaled down, as shields.io does, for finer placement)."""
        label_text, value_text = text_width(self.label), text_width(self.message)
        label_width = round(label_text + 2 * PADDING) if self.label else 0
        value_width = round(value_text + 2 * PADDING)
        return {
            "label": self.label,
            "message": self.message,
            "title": f"{self.label}: {self.message}" if self.label else self.message,
            "fill": color_of(self.color),
            "width": label_width + value_width,
            "label_width": label_width,
            "value_width": value_width,
            "label_x": label_width * 5,
            "value_x": round((label_width + value_width / 2) * 10),
            "label_length": round(label_text * 10),
            "value_length": round(value_text * 10),
        }
