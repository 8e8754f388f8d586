"""What an editor's prompt says, read without a model: which op, and the values it names.

"change the dog to blue" picks recolor and fills its colour; "relight for golden hour" picks
relight's golden-hour look; "make it look like 1970s film" picks restyle's film-1970s. This is
the classical half of the prompt box: it needs no weights, and it never guesses a value the
words do not name. A prompt is still passed whole to a learned backend when one runs
(`retakes keyframe`). The rules for the prompt itself (an action verb, one change per prompt)
live here too, shared by the panel and the engine.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

VERBS = ("add", "remove", "change", "replace", "relight", "restyle")
HINT = "Start with an action verb: add, remove, change, replace, relight, restyle. One change per prompt."

# verb (and a word that narrows it) -> op name, tried in order
_OP_FOR = (
    ("relight", "", "relight"),
    ("restyle", "", "restyle"),
    ("remove", "", "remove"),
    ("replace", "background", "background"),
    ("replace", "sky", "background"),
    ("change", "colo", "recolor"),
    ("change", "light", "relight"),
    ("change", "look", "restyle"),
    ("replace", "", "recolor"),
    ("change", "", "recolor"),
)
_JOINERS = re.compile(r"\b(and then|and also|then|and|also|plus)\b|[;,]", re.I)

#: colour words -> '#RRGGBB' (the CSS named colours an editor is likely to type)
COLOURS = {
    "red": "#FF0000", "dark red": "#8B0000", "crimson": "#DC143C", "maroon": "#800000", "orange": "#FFA500",
    "yellow": "#FFFF00", "gold": "#FFD700", "golden": "#FFD700", "green": "#008000", "lime": "#00FF00",
    "olive": "#808000", "dark green": "#006400", "teal": "#008080", "cyan": "#00FFFF", "turquoise": "#40E0D0",
    "blue": "#0000FF", "light blue": "#ADD8E6", "sky blue": "#87CEEB", "navy": "#000080", "dark blue": "#00008B",
    "purple": "#800080", "violet": "#EE82EE", "magenta": "#FF00FF", "pink": "#FFC0CB", "hot pink": "#FF69B4",
    "brown": "#A52A2A", "beige": "#F5F5DC", "tan": "#D2B48C", "black": "#000000", "white": "#FFFFFF",
    "grey": "#808080", "gray": "#808080", "silver": "#C0C0C0",
}
#: phrases -> relight's looks
LOOKS = (
    (("golden hour", "golden-hour", "sunset", "magic hour"), "golden-hour"),
    (("day to night", "day-to-night", "night", "nighttime", "dusk"), "day-to-night"),
    (("overcast", "cloudy", "grey day", "gray day"), "overcast"),
    (("tungsten to daylight", "tungsten-to-daylight", "daylight"), "tungsten-to-daylight"),
)
#: phrases -> restyle's styles
STYLES = (
    (("1970s", "70s", "seventies", "film-1970s", "vintage film"), "film-1970s"),
    (("bleach bypass", "bleach-bypass"), "bleach-bypass"),
    (("ink", "inked", "comic"), "ink"),
)
_HEX = re.compile(r"#[0-9a-fA-F]{6}\b")


@dataclass(frozen=True)
class PromptIntent:
    """The op a prompt asks for and the params its words fill (empty when they name none)."""

    op: str | None
    params: dict[str, str] = field(default_factory=dict)


def check(prompt: str) -> str:
    """A plain-words hint about the prompt, or "" when it reads as one action."""
    words = prompt.strip().lower().split()
    if not words:
        return HINT
    if words[0] not in VERBS:
        return f"Start with an action verb ({', '.join(VERBS)}), e.g. “change the car to red”."
    later_verbs = [w for w in words[1:] if w in VERBS]
    if later_verbs and _JOINERS.search(prompt):
        return f"One change per prompt: “{later_verbs[0]} …” is a second change; queue it as its own edit."
    return ""


def _phrase(text: str, table: Iterable[tuple[tuple[str, ...], str]]) -> str | None:
    for phrases, value in table:
        if any(re.search(rf"(?<![\w-]){re.escape(p)}(?![\w-])", text) for p in phrases):
            return value
    return None


def colour_of(text: str) -> str | None:
    """The colour a prompt changes something *to* ("... to blue", "make it dark red"), as '#RRGGBB'."""
    if match := _HEX.search(text):
        return match.group(0).upper()
    # The colour after "to"/"into"/"it": "change the dog to blue" names blue, not the dog's old colour.
    tail = re.split(r"\b(?:to|into|it)\b", text.lower())
    for part in reversed(tail[1:] if len(tail) > 1 else tail):
        for name in sorted(COLOURS, key=len, reverse=True):  # "dark red" before "red"
            if re.search(rf"\b{re.escape(name)}\b", part):
                return COLOURS[name]
    return None


def parse(prompt: str, available: Iterable[str] = ("recolor", "relight", "restyle", "remove", "background")
          ) -> PromptIntent:
    """The op (one of `available`) and the params a prompt's words name."""
    text = prompt.strip().lower()
    available = list(available)
    look, style = _phrase(text, LOOKS), _phrase(text, STYLES)
    op = suggest_op(prompt, available)
    if op is None:  # "make it golden hour", "turn the car blue": the values say which op
        if look and "relight" in available:
            op = "relight"
        elif style and "restyle" in available:
            op = "restyle"
        elif colour_of(text) and "recolor" in available and text.split()[:1] in (["make"], ["turn"]):
            op = "recolor"
    if op in ("relight",) or (op == "restyle" and look and not style and "relight" in available):
        return PromptIntent("relight", {"look": look} if look else {})
    if op == "restyle":
        return PromptIntent(op, {"style": style} if style else {})
    if op == "recolor":
        colour = colour_of(text)
        return PromptIntent(op, {"color": colour} if colour else {})
    return PromptIntent(op, {})


def suggest_op(prompt: str, available: list[str]) -> str | None:
    text = prompt.strip().lower()
    words = text.split()
    if not words:
        return None
    for verb, narrow, op in _OP_FOR:
        if words[0] == verb and narrow in text and op in available:
            return op
    return None
