"""The models `retakes models pull` knows: repository ids, what they do, and their licences.

Only permissively licensed weights are pulled without asking (`permissive`); anything else (use
restrictions such as OpenRAIL-M, or non-commercial terms) needs `--accept-licence ID` with the
licence's id typed out, after the licence has been shown. The licence ids and links are the model
cards' own; read the licence before accepting it.
"""

from __future__ import annotations

from dataclasses import dataclass

from .layout import KEYFRAME_INPAINT, KEYFRAME_INSTRUCT, TRACK, VIDEO_EDIT

#: what a transformers/diffusers folder needs; original-format checkpoints (.pt, .ckpt) and
#: half-precision duplicates are left on the hub
_DIFFUSERS = ("model_index.json", "*/config.json", "*/*_config.json", "*/*.json", "*/*.txt", "*/*.model",
              "*/diffusion_pytorch_model.safetensors", "*/diffusion_pytorch_model-*.safetensors",
              "*/model.safetensors", "*/model-*.safetensors", "README.md", "LICENSE*")
_TRANSFORMERS = ("config.json", "*.json", "model.safetensors", "model-*.safetensors", "README.md", "LICENSE*")


@dataclass(frozen=True)
class CatalogueEntry:
    name: str
    repo_id: str
    task: str
    licence: str
    licence_url: str
    permissive: bool
    summary: str
    allow_patterns: tuple[str, ...]
    #: the hub asks the user to accept terms on its website first (a token is then needed)
    gated: bool = False


CATALOGUE: tuple[CatalogueEntry, ...] = (
    CatalogueEntry("sam2.1-hiera-tiny", "facebook/sam2.1-hiera-tiny", TRACK, "apache-2.0",
                   "https://www.apache.org/licenses/LICENSE-2.0", True,
                   "SAM 2.1 video tracker, 39M parameters", _TRANSFORMERS),
    CatalogueEntry("sam2.1-hiera-small", "facebook/sam2.1-hiera-small", TRACK, "apache-2.0",
                   "https://www.apache.org/licenses/LICENSE-2.0", True,
                   "SAM 2.1 video tracker, 46M parameters", _TRANSFORMERS),
    CatalogueEntry("sam2.1-hiera-base-plus", "facebook/sam2.1-hiera-base-plus", TRACK, "apache-2.0",
                   "https://www.apache.org/licenses/LICENSE-2.0", True,
                   "SAM 2.1 video tracker, 81M parameters", _TRANSFORMERS),
    CatalogueEntry("sam2.1-hiera-large", "facebook/sam2.1-hiera-large", TRACK, "apache-2.0",
                   "https://www.apache.org/licenses/LICENSE-2.0", True,
                   "SAM 2.1 video tracker, 224M parameters", _TRANSFORMERS),
    CatalogueEntry("instruct-pix2pix", "timbrooks/instruct-pix2pix", KEYFRAME_INSTRUCT, "mit",
                   "https://huggingface.co/timbrooks/instruct-pix2pix", True,
                   "InstructPix2Pix instruction edits (SD 1.5 based, 512 px)", _DIFFUSERS),
    CatalogueEntry("qwen-image-edit", "Qwen/Qwen-Image-Edit", KEYFRAME_INSTRUCT, "apache-2.0",
                   "https://www.apache.org/licenses/LICENSE-2.0", True,
                   "Qwen-Image-Edit instruction edits (20B; a large GPU or offloading)", _DIFFUSERS),
    CatalogueEntry("sd-inpainting", "stable-diffusion-v1-5/stable-diffusion-inpainting", KEYFRAME_INPAINT,
                   "creativeml-openrail-m", "https://huggingface.co/spaces/CompVis/stable-diffusion-license", False,
                   "Stable Diffusion 1.5 inpainting (512 px); use-based restrictions", _DIFFUSERS),
    CatalogueEntry("sdxl-inpainting", "diffusers/stable-diffusion-xl-1.0-inpainting-0.1", KEYFRAME_INPAINT,
                   "openrail++", "https://huggingface.co/stabilityai/stable-diffusion-xl-base-1.0/blob/main/LICENSE.md",
                   False, "SDXL inpainting (1024 px); use-based restrictions", _DIFFUSERS),
    CatalogueEntry("flux-fill-dev", "black-forest-labs/FLUX.1-Fill-dev", KEYFRAME_INPAINT,
                   "flux-1-dev-non-commercial-license",
                   "https://huggingface.co/black-forest-labs/FLUX.1-dev/blob/main/LICENSE.md", False,
                   "FLUX.1 Fill [dev] inpainting (12B); non-commercial", _DIFFUSERS, gated=True),
    CatalogueEntry("flux-kontext-dev", "black-forest-labs/FLUX.1-Kontext-dev", KEYFRAME_INSTRUCT,
                   "flux-1-dev-non-commercial-license",
                   "https://huggingface.co/black-forest-labs/FLUX.1-dev/blob/main/LICENSE.md", False,
                   "FLUX.1 Kontext [dev] instruction edits (12B); non-commercial", _DIFFUSERS, gated=True),
    CatalogueEntry("wan2.1-vace-1.3b", "Wan-AI/Wan2.1-VACE-1.3B-diffusers", VIDEO_EDIT, "apache-2.0",
                   "https://www.apache.org/licenses/LICENSE-2.0", True,
                   "Wan2.1 VACE video edits: replace, remove, restyle (1.3B, 480p, about 8 GB)", _DIFFUSERS),
    CatalogueEntry("wan2.1-vace-14b", "Wan-AI/Wan2.1-VACE-14B-diffusers", VIDEO_EDIT, "apache-2.0",
                   "https://www.apache.org/licenses/LICENSE-2.0", True,
                   "Wan2.1 VACE video edits (14B, 720p; a large GPU or offloading)", _DIFFUSERS),
)

#: what `needs weights: retakes models pull NAME` suggests for each task: the smallest permissive model
SUGGESTED = {TRACK: "sam2.1-hiera-tiny", KEYFRAME_INSTRUCT: "instruct-pix2pix", KEYFRAME_INPAINT: "sd-inpainting",
             VIDEO_EDIT: "wan2.1-vace-1.3b"}


def find(name: str) -> CatalogueEntry | None:
    return next((e for e in CATALOGUE if e.name == name), None)


def pull_command(task: str) -> str:
    entry = find(SUGGESTED[task])
    flag = "" if entry is None or entry.permissive else f" --accept-licence {entry.licence}"
    return f"retakes models pull {SUGGESTED[task]}{flag}"
