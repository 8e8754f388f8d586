"""`retakes models list|add|verify|remove|pull`, run as a user runs them (the real entry point)."""

from __future__ import annotations

import json
import shutil

import pytest

from tests.support.learned import retakes


def _one_line_error(run) -> str:
    lines = [line for line in run.stderr.splitlines() if line.strip()]
    assert run.returncode != 0 and len(lines) == 1, run.stderr
    return lines[0]


def test_add_list_verify_remove(tiny, tmp_path):
    home = tmp_path / "home"
    folder = shutil.copytree(tiny["inpaint"], tmp_path / "sd-inpaint")
    before = {p: p.stat().st_mtime_ns for p in folder.rglob("*")}
    # Named to mislead: what the folder declares decides its task, not its name.
    run = retakes("models", "add", "sam2-lookalike", str(folder), home=home)
    assert run.returncode == 0, run.stderr
    assert "added sam2-lookalike: StableDiffusionInpaintPipeline for keyframe-inpaint" in run.stdout
    assert "licence apache-2.0" in run.stdout  # from the model card's front matter
    assert {p: p.stat().st_mtime_ns for p in folder.rglob("*")} == before  # the folder is never written
    manifest = json.loads((home / "models" / "manifests" / "sam2-lookalike.json").read_text())
    assert "unet/diffusion_pytorch_model.safetensors" in manifest["files"]
    assert all(len(f["sha256"]) == 64 for f in manifest["files"].values())

    listed = retakes("models", "list", "--device", "cpu", home=home)
    assert listed.returncode == 0, listed.stderr
    header, row = listed.stdout.splitlines()
    assert header.split()[:5] == ["NAME", "FAMILY", "TASKS", "SIZE", "LICENCE"]
    assert row.split()[:3] == ["sam2-lookalike", "StableDiffusionInpaint", "keyframe-inpaint"]
    assert "apache-2.0" in row and row.endswith("yes (whole, float32)")

    assert retakes("models", "verify", home=home).stdout.strip() == "sam2-lookalike: ok"
    weights = folder / "unet" / "diffusion_pytorch_model.safetensors"
    data = bytearray(weights.read_bytes())
    data[-1] ^= 0xFF
    weights.write_bytes(bytes(data))
    (folder / "tokenizer" / "tokenizer_config.json").unlink()
    bad = retakes("models", "verify", "sam2-lookalike", home=home)
    assert bad.returncode == 1
    assert "sam2-lookalike: tokenizer/tokenizer_config.json is missing" in bad.stderr
    assert "sam2-lookalike: unet/diffusion_pytorch_model.safetensors is changed" in bad.stderr

    removed = retakes("models", "remove", "sam2-lookalike", home=home)
    assert removed.returncode == 0 and "its files are kept" in removed.stdout
    assert weights.exists()
    assert "no models" in retakes("models", "list", home=home).stdout


def _without(tiny, tmp_path, rel: str):
    folder = shutil.copytree(tiny["instruct"], tmp_path / "broken")
    (folder / rel).unlink()
    return folder


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (lambda tiny, tmp: tmp, "is not a model folder: it has neither model_index.json"),
        (lambda tiny, tmp: _without(tiny, tmp, "unet/diffusion_pytorch_model.safetensors"),
         "component 'unet' (UNet2DConditionModel): no weights file"),
        (lambda tiny, tmp: _without(tiny, tmp, "scheduler/scheduler_config.json"),
         "scheduler_config.json is missing"),
        (lambda tiny, tmp: tiny["instruct"] / "text_encoder", "holds a CLIPTextModel (transformers), which no "
                                                             "retakes backend uses"),
        (lambda tiny, tmp: tmp / "nowhere", "no such folder"),
    ],
    ids=["not-a-model", "missing-weights", "missing-scheduler", "wrong-kind", "no-folder"],
)
def test_add_refuses_what_cannot_run_and_writes_nothing(tiny, tmp_path, make, expected):
    home = tmp_path / "home"
    run = retakes("models", "add", "broken", str(make(tiny, tmp_path)), home=home)
    line = _one_line_error(run)
    assert line.startswith("retakes: error: PATH: ") and expected in line, line
    assert not (home / "models" / "registry.json").exists()


def test_a_shard_index_naming_a_missing_shard_is_refused(tiny, tmp_path):
    folder = shutil.copytree(tiny["sam2"], tmp_path / "sharded")
    (folder / "model.safetensors.index.json").write_text(json.dumps(
        {"metadata": {}, "weight_map": {"a": "model-00001-of-00002.safetensors",
                                        "b": "model-00002-of-00002.safetensors"}}))
    (folder / "model.safetensors").rename(folder / "model-00001-of-00002.safetensors")
    line = _one_line_error(retakes("models", "add", "sharded", str(folder), home=tmp_path / "home"))
    assert "names model-00002-of-00002.safetensors, which is missing" in line


def test_names_are_checked_and_not_reused(tiny, tmp_path):
    home = tmp_path / "home"
    assert "expected a model name" in _one_line_error(retakes("models", "add", "My Model", str(tiny["sam2"]),
                                                              home=home))
    assert retakes("models", "add", "tracker", str(tiny["sam2"]), home=home).returncode == 0
    again = _one_line_error(retakes("models", "add", "tracker", str(tiny["instruct"]), home=home))
    assert "NAME: a model named 'tracker' is registered already" in again
    assert "no model named 'nothing'" in _one_line_error(retakes("models", "remove", "nothing", home=home))


def test_pull_lists_its_catalogue_with_licences(tmp_path):
    run = retakes("models", "pull", home=tmp_path)
    assert run.returncode == 0, run.stderr
    assert "sam2.1-hiera-tiny" in run.stdout and "apache-2.0" in run.stdout
    assert "needs --accept-licence flux-1-dev-non-commercial-license" in run.stdout


@pytest.mark.parametrize(
    ("args", "env", "expected"),
    [
        (["no-such-model"], {}, "NAME: no model 'no-such-model' in the catalogue"),
        (["flux-kontext-dev"], {}, "--accept-licence: flux-kontext-dev is under flux-1-dev-non-commercial-license "
                                   "(https://huggingface.co/black-forest-labs/FLUX.1-dev/blob/main/LICENSE.md)"),
        (["sd-inpainting", "--accept-licence", "mit"], {}, "pull with --accept-licence creativeml-openrail-m"),
        (["sam2.1-hiera-tiny"], {"HF_HUB_OFFLINE": "1"}, "HF_HUB_OFFLINE is set"),
        # A hub that does not answer (a closed loopback port: nothing leaves this machine).
        (["sam2.1-hiera-tiny"], {"HF_ENDPOINT": "http://127.0.0.1:9"},
         "NAME: could not download facebook/sam2.1-hiera-tiny"),
    ],
    ids=["unknown", "non-commercial", "wrong-licence-id", "offline", "no-answer"],
)
def test_pull_refuses_before_downloading_and_leaves_nothing(tmp_path, args, env, expected):
    run = retakes("models", "pull", *args, home=tmp_path, **env)
    line = _one_line_error(run)
    assert expected in line, line
    assert not (tmp_path / "models" / "registry.json").exists()
    assert not any((tmp_path / "models" / "weights").glob("*")) if (tmp_path / "models" / "weights").exists() else True
