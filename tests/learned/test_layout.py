"""What a model folder can do is read from what it declares (model_index.json / config.json), not its name."""

from __future__ import annotations

import json

import numpy as np
import pytest
from safetensors.numpy import save_file

from retakes.engine.models.layout import inspect_folder


def _component(folder, name, library, cls):
    (folder / name).mkdir()
    if "Scheduler" in cls:
        (folder / name / "scheduler_config.json").write_text("{}")
    elif "Tokenizer" in cls:
        (folder / name / "tokenizer.json").write_text("{}")
    else:
        (folder / name / "config.json").write_text("{}")
        save_file({"blocks.0.weight": np.zeros((4, 4), np.float32), "blocks.1.weight": np.zeros((8, 2), np.float32)},
                  str(folder / name / ("model.safetensors" if library == "transformers" else
                                       "diffusion_pytorch_model.safetensors")))
    return [library, cls]


@pytest.mark.parametrize(
    ("pipeline", "denoiser", "tasks"),
    [
        ("FluxFillPipeline", "FluxTransformer2DModel", ("keyframe-inpaint",)),
        ("StableDiffusionXLInpaintPipeline", "UNet2DConditionModel", ("keyframe-inpaint",)),
        ("FluxKontextPipeline", "FluxTransformer2DModel", ("keyframe-instruct",)),
        ("QwenImageEditPipeline", "QwenImageTransformer2DModel", ("keyframe-instruct",)),
        ("FluxKontextInpaintPipeline", "FluxTransformer2DModel", ("keyframe-inpaint",)),
        ("StableDiffusionXLPipeline", "UNet2DConditionModel", ()),  # text-to-image: nothing retakes runs
    ],
)
def test_pipelines_are_known_by_their_declared_class(tmp_path, pipeline, denoiser, tasks):
    folder = tmp_path / "inpaint-model"  # a name that says nothing true
    folder.mkdir()
    index = {"_class_name": pipeline, "_diffusers_version": "0.42.1", "safety_checker": [None, None],
             "transformer": _component(folder, "transformer", "diffusers", denoiser),
             "scheduler": _component(folder, "scheduler", "diffusers", "FlowMatchEulerDiscreteScheduler"),
             "tokenizer": _component(folder, "tokenizer", "transformers", "CLIPTokenizer")}
    (folder / "model_index.json").write_text(json.dumps(index))
    layout = inspect_folder(folder)
    assert layout.kind == "diffusers" and layout.class_name == pipeline and layout.tasks == tasks
    assert layout.parameters == 32  # read from the safetensors header, no weights loaded
    transformer = next(c for c in layout.components if c.name == "transformer")
    assert transformer.largest_block == 16
    assert "transformer/diffusion_pytorch_model.safetensors" in layout.files


def test_a_sam2_folder_is_a_tracker_whatever_its_name(tmp_path):
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "sam2_video",
                                                      "architectures": ["Sam2VideoModel"]}))
    save_file({"w": np.zeros(3, np.float32)}, str(tmp_path / "model.safetensors"))
    (tmp_path / "sam2.1_hiera_tiny.pt").write_bytes(b"original checkpoint")  # not what transformers loads
    (tmp_path / "README.md").write_text("---\nlicense: apache-2.0\n---\n")
    layout = inspect_folder(tmp_path)
    assert layout.tasks == ("track",) and layout.licence == "apache-2.0"
    assert layout.files == ("config.json", "model.safetensors")
