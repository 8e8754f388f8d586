"""The prompt box's rules: start with an action verb, one change per prompt.

Prompts pick an op when the editor has not; they never replace the op's own controls (the
engine's ops take parameters, and a prompt is passed on only to an op with a `prompt` param).
"""

from __future__ import annotations

import re

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


def suggest_op(prompt: str, available: list[str]) -> str | None:
    text = prompt.strip().lower()
    words = text.split()
    if not words:
        return None
    for verb, narrow, op in _OP_FOR:
        if words[0] == verb and narrow in text and op in available:
            return op
    return None
