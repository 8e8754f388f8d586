"""What a folder of weights is, read from its own declarations, never from its name.

A diffusers pipeline folder declares itself in `model_index.json` (its `_class_name` and a
`[library, class]` pair per component sub-folder); a transformers model folder in `config.json`
(`model_type`, `architectures`). The tasks a folder serves follow from those classes, and every
file they reference must be there: a config per component, its weights (every shard an index
names), the tokenizer's files. Nothing here imports torch, diffusers or transformers: `models
list` and `models add` stay fast and work where the learned extra is not installed.
"""

from __future__ import annotations

import json
import re
import struct
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import InvalidArgument, MediaNotFound

#: what a task is called in capabilities, the CLI and the store
KEYFRAME_INPAINT = "keyframe-inpaint"
KEYFRAME_INSTRUCT = "keyframe-instruct"
TRACK = "track"
VIDEO_EDIT = "video-edit"
TASKS = (KEYFRAME_INPAINT, KEYFRAME_INSTRUCT, TRACK, VIDEO_EDIT)

#: diffusers pipelines that repaint a masked region from a prompt (`AutoPipelineForInpainting`'s
#: families, plus Flux Fill, which has its own transformer and is loaded as itself)
INPAINT_PIPELINES = frozenset({
    "StableDiffusionInpaintPipeline", "StableDiffusionXLInpaintPipeline", "StableDiffusion3InpaintPipeline",
    "FluxFillPipeline", "FluxInpaintPipeline", "FluxKontextInpaintPipeline", "QwenImageInpaintPipeline",
    "QwenImageEditInpaintPipeline",
})
#: diffusers pipelines that follow an instruction ("make the car red") on a whole image
INSTRUCT_PIPELINES = frozenset({
    "StableDiffusionInstructPix2PixPipeline", "StableDiffusionXLInstructPix2PixPipeline", "FluxKontextPipeline",
    "QwenImageEditPipeline", "QwenImageEditPlusPipeline",
})
#: diffusers pipelines that regenerate a masked region of a video, with the rest as condition (Wan VACE)
VIDEO_EDIT_PIPELINES = frozenset({"WanVACEPipeline"})
#: transformers model types that track a mask through a video (SAM 2 / 2.1 checkpoints)
TRACKER_TYPES = frozenset({"sam2_video", "sam2"})

_WEIGHT_SUFFIXES = (".safetensors", ".bin", ".pt", ".pth", ".ckpt", ".gguf")
_TOKENIZER_FILES = ("tokenizer.json", "vocab.json", "spiece.model", "tokenizer.model", "vocab.txt")
_DTYPE_BYTES = {"F64": 8, "F32": 4, "F16": 2, "BF16": 2, "I64": 8, "I32": 4, "I16": 2, "I8": 1, "U8": 1, "BOOL": 1,
                "F8_E4M3": 1, "F8_E5M2": 1}


@dataclass(frozen=True)
class Component:
    """One part of a model: a diffusers sub-folder, or the whole of a transformers folder."""

    name: str
    library: str
    class_name: str
    #: parameters of its weights (from the safetensors headers); 0 for schedulers, tokenizers
    parameters: int = 0
    #: the biggest block of parameters (by the first two parts of their names: `down_blocks.1`,
    #: `transformer_blocks.7`): what one group of group offloading holds on the device
    largest_block: int = 0


@dataclass(frozen=True)
class ModelLayout:
    kind: str  # "diffusers" or "transformers"
    class_name: str  # the pipeline or model class the folder declares
    family: str
    tasks: tuple[str, ...]
    components: tuple[Component, ...]
    #: every file the model needs, relative to its folder (what the manifest hashes)
    files: tuple[str, ...]
    licence: str = ""
    notes: tuple[str, ...] = field(default=())

    @property
    def parameters(self) -> int:
        return sum(c.parameters for c in self.components)


def inspect_folder(path: Path, *, field_name: str = "PATH") -> ModelLayout:
    """Reads and checks a model folder; raises InvalidArgument/MediaNotFound naming `field_name`."""
    path = Path(path)
    if not path.exists():
        raise MediaNotFound(f"no such folder: {path}", field=field_name)
    if not path.is_dir():
        raise InvalidArgument(f"{path} is a file; expected a model folder (diffusers or transformers layout)",
                              field=field_name)
    if (path / "model_index.json").is_file():
        layout = _diffusers(path, field_name)
    elif (path / "config.json").is_file():
        layout = _transformers(path, field_name)
    else:
        raise InvalidArgument(
            f"{path} is not a model folder: it has neither model_index.json (a diffusers pipeline) nor "
            "config.json (a transformers model)", field=field_name)
    return layout


def _read_json(path: Path, field_name: str) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise InvalidArgument(f"cannot read {path.name} in {path.parent}: {error}", field=field_name) from None
    if not isinstance(data, dict):
        raise InvalidArgument(f"{path} does not hold a JSON object", field=field_name)
    return data


def _weights(folder: Path, field_name: str, what: str) -> list[Path]:
    """The weight files of one component: every shard its index names, or its single file(s)."""
    for index in sorted(folder.glob("*.safetensors.index.json")) + sorted(folder.glob("*.bin.index.json")):
        shards = sorted(set(_read_json(index, field_name).get("weight_map", {}).values()))
        missing = [s for s in shards if not (folder / s).is_file()]
        if missing:
            raise InvalidArgument(f"{what}: {index.name} names {missing[0]}, which is missing from {folder}",
                                  field=field_name)
        return [index] + [folder / s for s in shards]
    found = sorted(p for p in folder.iterdir() if p.is_file() and p.name.endswith(_WEIGHT_SUFFIXES))
    # One variant is enough: prefer the full-precision safetensors diffusers loads by default.
    plain = [p for p in found if p.suffix == ".safetensors" and p.name.count(".") == 1]
    return plain or [p for p in found if p.suffix == ".safetensors"] or found


def _component(folder: Path, name: str, library: str, class_name: str, field_name: str) -> tuple[Component, list[Path]]:
    what = f"component {name!r} ({class_name})"
    if not folder.is_dir():
        raise InvalidArgument(f"{what} is declared in model_index.json but its folder {folder} is missing",
                              field=field_name)
    lowered = class_name.lower()
    if "scheduler" in lowered:
        config = folder / "scheduler_config.json"
        if not config.is_file():
            raise InvalidArgument(f"{what}: scheduler_config.json is missing from {folder}", field=field_name)
        return Component(name, library, class_name), [config]
    if "tokenizer" in lowered:
        files = [p for p in folder.iterdir() if p.is_file()]
        if not any(p.name in _TOKENIZER_FILES for p in files):
            raise InvalidArgument(f"{what}: no tokenizer file ({', '.join(_TOKENIZER_FILES)}) in {folder}",
                                  field=field_name)
        return Component(name, library, class_name), sorted(files)
    if "processor" in lowered or "featureextractor" in lowered:
        files = sorted(p for p in folder.iterdir() if p.is_file() and p.suffix == ".json")
        if not files:
            raise InvalidArgument(f"{what}: no configuration file in {folder}", field=field_name)
        return Component(name, library, class_name), files
    config = folder / "config.json"
    if not config.is_file():
        raise InvalidArgument(f"{what}: config.json is missing from {folder}", field=field_name)
    weights = _weights(folder, field_name, what)
    if not [w for w in weights if not w.name.endswith(".json")]:
        raise InvalidArgument(f"{what}: no weights file (*.safetensors) in {folder}", field=field_name)
    parameters, largest = _count(weights)
    extra = [p for p in folder.iterdir() if p.is_file() and p.suffix == ".json" and p not in weights]
    return Component(name, library, class_name, parameters, largest), sorted(extra) + weights


def _diffusers(path: Path, field_name: str) -> ModelLayout:
    index = _read_json(path / "model_index.json", field_name)
    class_name = str(index.get("_class_name", ""))
    if not class_name:
        raise InvalidArgument(f"{path}/model_index.json has no _class_name", field=field_name)
    components, files = [], [path / "model_index.json"]
    for name, value in sorted(index.items()):
        if name.startswith("_") or not isinstance(value, list) or len(value) != 2 or value[0] is None:
            continue  # `_diffusers_version`, flags such as `requires_safety_checker`, absent parts [null, null]
        component, used = _component(path / name, name, str(value[0]), str(value[1]), field_name)
        components.append(component)
        files += used
    tasks = []
    if class_name in INPAINT_PIPELINES:
        tasks.append(KEYFRAME_INPAINT)
    if class_name in INSTRUCT_PIPELINES:
        tasks.append(KEYFRAME_INSTRUCT)
    if class_name in VIDEO_EDIT_PIPELINES:
        tasks.append(VIDEO_EDIT)
    return ModelLayout("diffusers", class_name, class_name.removesuffix("Pipeline"), tuple(tasks), tuple(components),
                       _relative(path, files), licence_of(path))


def _transformers(path: Path, field_name: str) -> ModelLayout:
    config = _read_json(path / "config.json", field_name)
    model_type = str(config.get("model_type", ""))
    architectures = config.get("architectures") or []
    class_name = str(architectures[0]) if architectures else model_type
    if not model_type:
        raise InvalidArgument(f"{path}/config.json has no model_type", field=field_name)
    weights = _weights(path, field_name, f"model {class_name}")
    if not [w for w in weights if not w.name.endswith(".json")]:
        raise InvalidArgument(f"model {class_name}: no weights file (*.safetensors) in {path}", field=field_name)
    parameters, largest = _count(weights)
    extra = [p for p in path.iterdir() if p.is_file() and p.suffix == ".json" and p not in weights]
    tasks = (TRACK,) if model_type in TRACKER_TYPES else ()
    component = Component("model", "transformers", class_name, parameters, largest)
    return ModelLayout("transformers", class_name, model_type, tasks, (component,),
                       _relative(path, sorted(set(extra)) + weights), licence_of(path))


def _relative(root: Path, files: list[Path]) -> tuple[str, ...]:
    return tuple(sorted({str(f.relative_to(root)) for f in files}))


def _count(weights: list[Path]) -> tuple[int, int]:
    """Parameters in safetensors files (read from their headers only) and the biggest block's share."""
    total, blocks = 0, {}
    for w in weights:
        if w.suffix != ".safetensors":
            continue
        for name, (_dtype, shape) in safetensors_header(w).items():
            n = 1
            for s in shape:
                n *= s
            total += n
            block = ".".join(name.split(".")[:2])
            blocks[block] = blocks.get(block, 0) + n
    return total, max(blocks.values(), default=0)


def safetensors_header(path: Path) -> dict[str, tuple[str, list[int]]]:
    """{tensor name: (dtype, shape)} from a safetensors file's JSON header (its first bytes)."""
    with open(path, "rb") as f:
        head = f.read(8)
        if len(head) != 8:
            return {}
        (size,) = struct.unpack("<Q", head)
        if size > 100 << 20:
            return {}
        try:
            header = json.loads(f.read(size))
        except (json.JSONDecodeError, UnicodeDecodeError):
            return {}
    return {k: (v["dtype"], v["shape"]) for k, v in header.items() if k != "__metadata__" and isinstance(v, dict)}


_LICENCE = re.compile(r"^licen[sc]e:\s*(\S.*?)\s*$", re.M)


def licence_of(path: Path) -> str:
    """The licence a model card declares (`license:` in README.md's front matter), else ""."""
    readme = path / "README.md"
    if readme.is_file():
        text = readme.read_text(encoding="utf-8", errors="replace")
        if text.startswith("---"):
            front = text.split("---", 2)[1] if text.count("---") >= 2 else ""
            if match := _LICENCE.search(front):
                return match.group(1).strip("'\"")
    return ""
