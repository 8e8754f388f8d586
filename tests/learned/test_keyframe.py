"""Prompt-driven keyframe edits with tiny models: the CLI, gRPC, the loader, crop-and-stitch, errors.

The models are tests/learned/tiny.py's: real pipeline classes with random weights. These tests
hold shapes, dtypes, seeds, geometry, invariant 1, progress and cancel, and the errors; they say
nothing about how good an edit looks.
"""

from __future__ import annotations

import gc
import logging
import threading
from fractions import Fraction
from pathlib import Path

import cv2
import grpc
import numpy as np
import pytest

from retakes.engine.client import EngineClient
from retakes.engine.config import EngineConfig
from retakes.engine.errors import Cancelled
from retakes.engine.learned.crop import plan_crop, stitch
from retakes.engine.learned.lineage import read_lineage
from retakes.engine.media import FrameReader, probe
from retakes.engine.media.synthetic import write_index_clip
from retakes.engine.ops.feather import soft_alpha
from retakes.engine.service.server import engine_in_thread
from retakes.engine.timecode import FrameRange, FrameRate
from retakes.v1 import engine_pb2 as pb
from tests.support.learned import retakes

W, H, FRAME = 160, 96, 3


@pytest.fixture(scope="module")
def studio(tiny, tmp_path_factory, one_thread):
    """A home with the tiny models added through the CLI, a clip, a mask, and an engine on it."""
    root = tmp_path_factory.mktemp("kf")
    home = root / "home"
    for name, key in (("tiny-inpaint", "inpaint"), ("tiny-instruct", "instruct"), ("tiny-sam", "sam2")):
        run = retakes("models", "add", name, str(tiny[key]), home=home)
        assert run.returncode == 0, run.stderr
    clip = root / "shot.mkv"
    write_index_clip(clip, frames=8, rate=FrameRate(Fraction(24)), size=(W, H), codec="ffv1")
    mask = np.zeros((H, W), np.uint8)
    mask[30:62, 60:100] = 255
    cv2.imwrite(str(root / "mask.png"), mask)
    cv2.imwrite(str(root / "empty.png"), np.zeros((H, W), np.uint8))
    config = EngineConfig(state_dir=home, socket_path=home / "e.sock")
    with engine_in_thread(config) as running:
        yield {"root": root, "home": home, "clip": clip, "mask": mask, "engine": running,
               "target": f"unix://{running.socket_path}"}


def _source_frame(clip: Path, index: int) -> np.ndarray:
    with FrameReader(probe(clip)) as reader:
        return reader.frame(index)


def _request(studio, **fields) -> pb.KeyframeRequest:
    request = pb.KeyframeRequest(source=pb.MediaRef(path=str(studio["clip"])), frame=FRAME,
                                 prompt="change the ball to blue", steps=2)
    request.mask.path = str(studio["root"] / "mask.png")
    for key, value in fields.items():
        if key == "mask" and value is None:
            request.ClearField("mask")
        else:
            setattr(request, key, value)
    return request


def _run(studio, request) -> list[pb.KeyframeEvent]:
    with EngineClient(studio["target"]) as client:
        return list(client.edit_keyframe(request))


def _image(png: bytes) -> np.ndarray:
    return cv2.cvtColor(cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_UNCHANGED), cv2.COLOR_BGR2RGB)


def _outside(mask: np.ndarray, feather: float = 8.0) -> np.ndarray:
    alpha, region = soft_alpha(mask, feather)
    inside = np.zeros(mask.shape, bool)
    inside[region.slices] = alpha > 0
    return ~inside


def test_cli_writes_n_variants_bit_exact_outside_the_feathered_mask(studio, tmp_path):
    out = tmp_path / "key.png"
    run = retakes("keyframe", str(studio["clip"]), "--frame", str(FRAME), "--prompt", "change the ball to blue",
                  "--mask", str(studio["root"] / "mask.png"), "--model", "tiny-instruct", "--seed", "7",
                  "--variants", "2", "--steps", "2", "-o", str(out), "--engine", studio["target"], home=studio["home"])
    assert run.returncode == 0, run.stderr
    written = sorted(p.name for p in tmp_path.iterdir())
    assert written == ["key_1.png", "key_2.png"]
    source = _source_frame(studio["clip"], FRAME)
    outside = _outside(studio["mask"])
    images = []
    for i, name in enumerate(written):
        data = (tmp_path / name).read_bytes()
        image = _image(data)
        assert image.shape == source.shape and image.dtype == source.dtype
        np.testing.assert_array_equal(image[outside], source[outside])  # invariant 1
        lineage = read_lineage(data)
        assert lineage["seed"] == 7 + i and lineage["model"] == "tiny-instruct" and lineage["steps"] == 2
        assert lineage["prompt"] == "change the ball to blue" and len(lineage["model_digest"]) == 64
        assert f"wrote {tmp_path / name} (frame {FRAME}, seed {7 + i}, tiny-instruct" in run.stdout
        images.append(image)
    assert not np.array_equal(images[0], images[1])  # two seeds, two variants
    assert not np.array_equal(images[0][~outside], source[~outside])  # the model did change the region


def test_the_edited_keyframe_drives_propagate(studio, tmp_path):
    key = tmp_path / "key.png"
    run = retakes("keyframe", str(studio["clip"]), "--frame", str(FRAME), "--prompt", "a blue ball",
                  "--mask", str(studio["root"] / "mask.png"), "--model", "tiny-inpaint", "--steps", "2",
                  "-o", str(key), "--engine", studio["target"], home=studio["home"])
    assert run.returncode == 0, run.stderr
    out = tmp_path / "propagated.mkv"
    run = retakes("edit", str(studio["clip"]), "-o", str(out), "--op", "propagate", "--keyframe", str(FRAME),
                  "--edited", str(key), "--mask", str(studio["root"] / "mask.png"), "--mask-frame", str(FRAME),
                  "--engine", studio["target"], home=studio["home"])
    assert run.returncode == 0, run.stderr
    info = probe(out)
    assert info.frame_count == 8
    with FrameReader(info) as reader:
        edited_frame = reader.frame(FRAME)
    key_image = cv2.cvtColor(cv2.imread(str(key)), cv2.COLOR_BGR2RGB).astype(int)
    source = _source_frame(studio["clip"], FRAME).astype(int)
    inside = studio["mask"] >= 128
    # The prompt's edit is what propagate carried: its keyframe is (nearly) the edited image there.
    to_edit = np.abs(edited_frame[inside].astype(int) - key_image[inside]).mean()
    to_source = np.abs(edited_frame[inside].astype(int) - source[inside]).mean()
    assert to_edit < to_source / 4, (to_edit, to_source)


def test_grpc_progress_every_step_then_variants_then_done(studio):
    events = _run(studio, _request(studio, model="tiny-inpaint", steps=3, variants=2, seed=11))
    kinds = [e.WhichOneof("kind") for e in events]
    assert kinds[0] == "progress" and events[0].progress.stage == "load" and kinds[-1] == "done"
    steps = [(e.progress.variant, e.progress.step) for e in events if kinds[events.index(e)] == "progress"
             and e.progress.stage == "edit"]
    assert sorted(set(steps)) == sorted(steps)
    assert {v for v, _ in steps} == {0, 1} and max(s for _, s in steps) >= 3
    variants = [e.variant for e in events if e.WhichOneof("kind") == "variant"]
    assert [v.seed for v in variants] == [11, 12] and all((v.width, v.height) == (W, H) for v in variants)
    done = events[-1].done
    assert done.model.name == "tiny-inpaint" and done.model.task == "keyframe-inpaint"
    assert (done.model.device, done.model.dtype, done.model.memory_policy) == ("cpu", "float32", "whole")
    assert list(done.seeds) == [11, 12]
    # The crop holds the mask's box grown by the feather, at a working size the model takes.
    assert done.crop_x <= 60 - 8 and done.crop_x + done.crop_width >= 100 + 8
    assert done.crop_y <= 30 - 8 and done.crop_y + done.crop_height >= 62 + 8
    assert done.work_width % 2 == 0 and max(done.work_width, done.work_height) == 32


def test_a_seed_gives_the_same_keyframe_and_the_model_is_loaded_once(studio):
    engine = studio["engine"].engine
    first = [e.variant.png for e in _run(studio, _request(studio, model="tiny-instruct", seed=3))
             if e.WhichOneof("kind") == "variant"]
    loads = dict(engine.learned.cache.loads)
    again = [e.variant.png for e in _run(studio, _request(studio, model="tiny-instruct", seed=3))
             if e.WhichOneof("kind") == "variant"]
    assert np.array_equal(_image(first[0]), _image(again[0]))
    assert engine.learned.cache.loads == loads  # the second call used the model the first one loaded


def test_cancel_stops_between_denoising_steps(studio, caplog):
    caplog.set_level(logging.ERROR, logger="asyncio")
    with EngineClient(studio["target"]) as client:
        call = client.edit_keyframe(_request(studio, model="tiny-instruct", steps=200))
        seen = []
        with pytest.raises(grpc.RpcError) as caught:
            for event in call:
                seen.append(event)
                if event.progress.stage == "edit":
                    call.cancel()
        assert caught.value.code() == grpc.StatusCode.CANCELLED
    assert not any(e.WhichOneof("kind") == "variant" for e in seen)
    # The model is free again at once: it stopped at a step, not after the 200.
    done = _run(studio, _request(studio, model="tiny-instruct"))
    assert done[-1].WhichOneof("kind") == "done"
    gc.collect()  # the cancelled edit's outcome was retrieved, not left for the event loop to log
    assert not [r for r in caplog.records if "never retrieved" in r.getMessage()], caplog.text


def test_the_backend_checks_cancellation_after_each_step(studio):
    from retakes.engine.learned.keyframe import KeyframeSettings, edit_keyframe
    from retakes.engine.models.layout import KEYFRAME_INSTRUCT

    rt = studio["engine"].engine.learned
    entry = rt.store.get("tiny-instruct")
    layout = rt.store.layout(entry)
    from retakes.engine.models.memory import choose

    placement = choose(layout, "cpu")
    steps: list[int] = []

    def cancel_after_two() -> None:
        if len(steps) >= 2:
            raise Cancelled("stop")

    frame = _source_frame(studio["clip"], FRAME)
    with rt.cache.use(entry, layout, placement) as loaded, pytest.raises(Cancelled):
        edit_keyframe(loaded, frame, studio["mask"], KeyframeSettings("make it blue", (0,), 50), task=KEYFRAME_INSTRUCT,
                      progress=lambda v, s, n: steps.append(s), check_cancelled=cancel_after_two)
    assert steps == [1, 2]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--prompt", "  "], "--prompt: expected a prompt"),
        (["--prompt", " ".join(["blue"] * 120)], "--prompt: the prompt is 482 tokens; this model's text encoder "
                                                 "(CLIPTextModel) reads at most 77"),
        (["--mask", "EMPTY"], "--mask: the mask is empty"),
        (["--model", "tiny-sam"], "--model: model 'tiny-sam' is a Sam2VideoModel (track); keyframe edits need"),
        (["--model", "tiny-inpaint", "--no-mask"], "--mask: tiny-inpaint is an inpainting model: it needs a mask"),
        (["--max-memory", "1KiB"], "--memory-policy: tiny-instruct does not fit: its smallest placement, whole, "
                                   "needs"),
        (["--frame", "99"], "--frame: frame 99 lies outside the media's 8 frames"),
        (["--variants", "0"], "--variants: expected 1 to 8 variants, got 0"),
    ],
    ids=["empty-prompt", "long-prompt", "empty-mask", "wrong-kind", "inpaint-without-mask", "memory", "frame",
         "variants"],
)
def test_bad_input_is_one_line_naming_the_option_and_nothing_is_written(studio, tmp_path, args, expected):
    base = {"--frame": str(FRAME), "--prompt": "make it blue", "--mask": str(studio["root"] / "mask.png"),
            "--model": "tiny-instruct"}
    given = dict(zip(args[::2], args[1::2], strict=False))
    if "--no-mask" in args:
        given.pop("--no-mask", None)
        base.pop("--mask")
        given = {k: v for k, v in given.items() if k != "--no-mask"}
    if given.get("--mask") == "EMPTY":
        given["--mask"] = str(studio["root"] / "empty.png")
    flags = [x for k, v in {**base, **given}.items() for x in (k, v)]
    out = tmp_path / "key.png"
    run = retakes("keyframe", str(studio["clip"]), *flags, "--steps", "2", "-o", str(out), "--engine",
                  studio["target"], home=studio["home"])
    lines = [line for line in run.stderr.splitlines() if line.strip()]
    assert run.returncode == 1 and len(lines) == 1, run.stderr
    assert lines[0].startswith("retakes: error: ") and expected in lines[0], lines[0]
    assert list(tmp_path.iterdir()) == []


def test_without_weights_the_command_says_which_to_pull(studio, tmp_path):
    run = retakes("keyframe", str(studio["clip"]), "--frame", "0", "--prompt", "make it blue", "-o",
                  str(tmp_path / "key.png"), home=tmp_path / "empty-home")
    assert run.returncode == 1
    assert "retakes: error: --model: needs weights: retakes models pull instruct-pix2pix" in run.stderr
    assert not (tmp_path / "key.png").exists()
    helped = retakes("keyframe", "--help", home=tmp_path / "empty-home")
    assert "keyframe instruct: needs weights: retakes models pull instruct-pix2pix" in " ".join(helped.stdout.split())


def test_crop_and_stitch_at_4k_keep_everything_beyond_the_feather():
    rng = np.random.default_rng(0)
    frame = rng.integers(0, 65536, (2160, 3840, 3), dtype=np.uint16)
    mask = np.zeros((2160, 3840), np.uint8)
    mask[900:1300, 2000:2600] = 255
    crop = plan_crop(frame.shape, mask, working=1024, multiple=16, feather=12)
    assert max(crop.work_width, crop.work_height) == 1024
    assert crop.work_width % 16 == 0 and crop.work_height % 16 == 0
    r = crop.region
    assert r.x0 <= 2000 - 13 and r.x1 >= 2600 + 13 and r.y0 <= 900 - 13 and r.y1 >= 1300 + 13
    assert abs(crop.work_width / crop.work_height - crop.width / crop.height) < 0.05
    edited = rng.random((crop.work_height, crop.work_width, 3), dtype=np.float32)
    out = stitch(frame, edited, crop, mask, 12)
    assert out.dtype == np.uint16 and out.shape == frame.shape
    outside = _outside(mask, 12)
    np.testing.assert_array_equal(out[outside], frame[outside])
    assert not np.array_equal(out[1000:1200, 2100:2500], frame[1000:1200, 2100:2500])
    assert FrameRange(0, 1)  # (the time model is not involved in a keyframe edit)


def test_capabilities_say_which_learned_backends_are_ready(studio, tmp_path):
    with EngineClient(studio["target"]) as client:
        learned = {(b.op, b.backend): b for b in client.capabilities().learned}
    assert learned[("keyframe", "inpaint")].state == "ready (tiny-inpaint)"
    assert learned[("keyframe", "instruct")].ready and learned[("track", "learned")].model == "tiny-sam"


def test_a_second_request_waits_for_the_model_not_for_a_second_copy(studio):
    _run(studio, _request(studio, model="tiny-instruct"))
    loads = dict(studio["engine"].engine.learned.cache.loads)
    results = []
    threads = [threading.Thread(target=lambda: results.append(_run(studio, _request(studio, model="tiny-instruct"))))
               for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert len(results) == 2 and all(r[-1].WhichOneof("kind") == "done" for r in results)
    assert studio["engine"].engine.learned.cache.loads == loads
