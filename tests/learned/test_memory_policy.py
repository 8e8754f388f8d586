"""The memory policy: the fastest placement that fits, or a message naming the one that would."""

from __future__ import annotations

import pytest

from retakes.engine.errors import InvalidArgument
from retakes.engine.models.layout import Component, ModelLayout
from retakes.engine.models.memory import (
    GROUP_OFFLOAD,
    MODEL_OFFLOAD,
    WHOLE,
    NotEnoughMemory,
    choose,
    needs,
    parse_bytes,
)

GIB = 1 << 30
#: an SDXL-inpaint-sized pipeline: UNet 2.6B parameters (its largest block 0.4B), two text encoders, a VAE
SDXL = ModelLayout("diffusers", "StableDiffusionXLInpaintPipeline", "StableDiffusionXLInpaint", ("keyframe-inpaint",),
                   (Component("unet", "diffusers", "UNet2DConditionModel", 2_567_000_000, 400_000_000),
                    Component("text_encoder", "transformers", "CLIPTextModel", 123_000_000, 10_000_000),
                    Component("text_encoder_2", "transformers", "CLIPTextModelWithProjection", 695_000_000,
                              30_000_000),
                    Component("vae", "diffusers", "AutoencoderKL", 84_000_000, 20_000_000)), ())


def test_needs_shrink_from_whole_to_group_offload():
    need = needs(SDXL, "bfloat16")
    assert need[WHOLE] > need[MODEL_OFFLOAD] > need[GROUP_OFFLOAD]
    assert need[WHOLE] == pytest.approx(2 * 3_469_000_000 * 1.25, rel=0.01)


@pytest.mark.parametrize(("free_gib", "policy"), [(80, WHOLE), (7, MODEL_OFFLOAD), (2.5, GROUP_OFFLOAD)])
def test_the_fastest_placement_that_fits_free_memory(free_gib, policy):
    placement = choose(SDXL, "cuda:0", free=int(free_gib * GIB), dtype="bfloat16")
    assert (placement.policy, placement.dtype, placement.device) == (policy, "bfloat16", "cuda:0")


def test_max_memory_caps_what_is_free():
    assert choose(SDXL, "cuda:0", free=80 * GIB, budget=7 * GIB, dtype="bfloat16").policy == MODEL_OFFLOAD


def test_a_policy_that_does_not_fit_names_the_one_that_would():
    with pytest.raises(NotEnoughMemory) as caught:
        choose(SDXL, "cuda:0", requested=WHOLE, free=7 * GIB, dtype="bfloat16", model_name="sdxl-inpainting")
    assert caught.value.field == "memory_policy"
    assert "sdxl-inpainting needs 8.1 GiB with memory policy whole, 7.0 GiB available on cuda:0; " \
           "--memory-policy model-offload would fit" in caught.value.message


def test_nothing_fits_says_the_smallest_need():
    with pytest.raises(NotEnoughMemory, match="smallest placement, group-offload, needs 2.4 GiB, 1.0 GiB available"):
        choose(SDXL, "cuda:0", free=1 * GIB, dtype="bfloat16", model_name="sdxl")


def test_the_cpu_has_only_whole_in_float32():
    placement = choose(SDXL, "cpu", free=64 * GIB)
    assert (placement.policy, placement.dtype) == (WHOLE, "float32")
    with pytest.raises(InvalidArgument, match="on cpu the only policy is whole"):
        choose(SDXL, "cpu", requested=GROUP_OFFLOAD, free=64 * GIB)
    with pytest.raises(InvalidArgument, match="expected auto, whole"):
        choose(SDXL, "cpu", requested="everything")


@pytest.mark.parametrize(("text", "value"), [("12GiB", 12 * GIB), ("800MB", 800_000_000), ("1.5g", int(1.5 * GIB)),
                                             ("4096", 4096)])
def test_sizes_parse(text, value):
    assert parse_bytes(text) == value


@pytest.mark.parametrize("text", ["lots", "-1GiB", "0"])
def test_bad_sizes_name_the_option(text):
    with pytest.raises(InvalidArgument) as caught:
        parse_bytes(text)
    assert caught.value.field == "max_memory"
