"""`retakes track --help` and `retakes edit --help` say which tracker backend this machine has."""

from __future__ import annotations

from tests.support.learned import retakes


def _help(command: str, home) -> str:
    run = retakes(command, "--help", home=home)
    assert run.returncode == 0, run.stderr
    return " ".join(run.stdout.split())


def test_help_names_the_tracker_backends_and_the_command_for_weights(tiny, tmp_path) -> None:
    home = tmp_path / "home"
    for command in ("track", "edit"):
        text = _help(command, home)
        assert "classical: always available" in text
        assert "track learned: needs weights: retakes models pull sam2" in text
        assert "retakes models add NAME PATH" in text
    edit_help = _help("edit", home)
    assert "the other ops that track a keyframe mask: --tracker, the same choice" in edit_help
    assert "--tracker {classical,learned,auto}" in edit_help and "--tracker-model NAME" in edit_help
    added = retakes("models", "add", "tiny-sam", str(tiny["sam2"]), home=home)
    assert added.returncode == 0, added.stderr
    for command in ("track", "edit"):
        text = _help(command, home)
        assert "track learned: ready (tiny-sam)" in text and "needs weights" not in text
