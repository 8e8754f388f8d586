"""Prompts read without a model: the op and the values the words name (engine.prompts)."""

from __future__ import annotations

import pytest

from retakes.engine.ops import REGISTRY
from retakes.engine.prompts import PromptIntent, check, parse


@pytest.mark.parametrize(
    ("prompt", "intent"),
    [
        ("change the dog to blue", PromptIntent("recolor", {"color": "#0000FF"})),
        ("change the red car to dark green", PromptIntent("recolor", {"color": "#006400"})),
        ("change the colour of the sign to #12ab9f", PromptIntent("recolor", {"color": "#12AB9F"})),
        ("turn the jacket purple", PromptIntent("recolor", {"color": "#800080"})),
        ("relight for golden hour", PromptIntent("relight", {"look": "golden-hour"})),
        ("make it golden hour", PromptIntent("relight", {"look": "golden-hour"})),
        ("change the light to night", PromptIntent("relight", {"look": "day-to-night"})),
        ("restyle as 1970s film", PromptIntent("restyle", {"style": "film-1970s"})),
        ("change the look to bleach bypass", PromptIntent("restyle", {"style": "bleach-bypass"})),
        ("replace the sky with a sunset", PromptIntent("background", {})),
        ("remove the boom mic", PromptIntent("remove", {})),
        ("change the car", PromptIntent("recolor", {})),  # no colour named: none guessed
    ],
)
def test_the_words_fill_the_ops_values(prompt, intent):
    assert parse(prompt) == intent


def test_the_values_are_ones_the_ops_accept():
    for prompt in ("relight for golden hour", "make it overcast", "restyle as 1970s film", "restyle in ink"):
        intent = parse(prompt)
        spec = REGISTRY[intent.op].spec
        assert spec.validate_params(intent.params)  # raises on a value the op does not take


def test_an_op_the_engine_lacks_is_not_suggested():
    assert parse("relight for golden hour", available=["recolor"]).op is None


def test_the_prompt_rules_still_hold():
    assert check("change it to blue") == ""
    assert check("make it blue").startswith("Start with an action verb")
    assert "One change per prompt" in check("change the car to red and remove the sign")
