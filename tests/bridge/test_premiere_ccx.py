"""The Premiere plugin's package: `installers/premiere/build_ccx.py` run as a user runs it."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "installers" / "premiere" / "build_ccx.py"
PLUGIN = ROOT / "bridge" / "premiere" / "plugin"

_spec = importlib.util.spec_from_file_location("build_ccx", SCRIPT)
build_ccx = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(build_ccx)


def _build(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True, timeout=60)


def test_the_ccx_holds_the_plugin_and_names_the_gateway_explicitly(tmp_path: Path):
    out = tmp_path / "dist" / "retakes.ccx"
    run = _build("-o", str(out), "--port", "9123")
    assert run.returncode == 0, run.stderr
    with zipfile.ZipFile(out) as ccx:
        names = set(ccx.namelist())
        manifest = json.loads(ccx.read("manifest.json"))
        page = ccx.read("index.html").decode()
    assert {"manifest.json", "index.html", "panel.js", "style.css", "lib/ticks.js", "lib/clip.js", "lib/place.js",
            "lib/gateway.js", "icons/plugin.png", "icons/plugin@2x.png"} <= names
    assert not any(n.startswith(("tests/", "..")) or n.endswith(".py") for n in names)
    assert manifest["manifestVersion"] == 5
    assert manifest["host"] == {"app": "premierepro", "minVersion": "25.6.0"}
    assert manifest["requiredPermissions"]["network"]["domains"] == ["http://127.0.0.1:9123", "ws://127.0.0.1:9123"]
    assert manifest["requiredPermissions"]["localFileSystem"] == "fullAccess"
    assert 'value="http://127.0.0.1:9123"' in page
    for icon in [i["path"] for e in manifest["entrypoints"] for i in e["icons"]] + [manifest["icons"][0]["path"]]:
        assert icon in names
    assert not list(out.parent.glob("*.partial"))


def test_tls_lists_https_and_wss_on_localhost_and_unpacked_stages_a_folder(tmp_path: Path):
    run = _build("--unpacked", str(tmp_path / "plugin"), "--port", "8443", "--tls")
    assert run.returncode == 0, run.stderr
    manifest = json.loads((tmp_path / "plugin" / "manifest.json").read_text())
    assert manifest["requiredPermissions"]["network"]["domains"] == ["https://localhost:8443", "wss://localhost:8443"]
    assert 'value="https://localhost:8443"' in (tmp_path / "plugin" / "index.html").read_text()
    assert (tmp_path / "plugin" / "lib" / "place.js").read_bytes() == (PLUGIN / "lib" / "place.js").read_bytes()


def test_the_committed_manifest_keeps_the_rules():
    build_ccx.check(json.loads((PLUGIN / "manifest.json").read_text()))


@pytest.mark.parametrize("change, words", [
    (lambda m: m["requiredPermissions"]["network"].update(domains=["all", "http://127.0.0.1:8790"]),
     '"all" inside the domains list denies every address'),
    (lambda m: m["requiredPermissions"]["network"].update(domains="all"), "must list the gateway's address"),
    (lambda m: m.update(manifestVersion=4), "manifestVersion must be 5"),
    (lambda m: m["host"].update(minVersion="25.1.0"), '"minVersion": "25.6.0"'),
])
def test_a_manifest_that_would_fail_in_premiere_is_refused(change, words):
    manifest = json.loads((PLUGIN / "manifest.json").read_text())
    change(manifest)
    with pytest.raises(SystemExit, match=words):
        build_ccx.check(manifest)


def test_bad_options_are_named(tmp_path: Path):
    run = _build("-o", str(tmp_path / "x.zip"))
    assert run.returncode == 2 and "--output: a .ccx file" in run.stderr
    run = _build("-o", str(tmp_path / "x.ccx"), "--port", "0")
    assert run.returncode == 2 and "--port: expected 1-65535" in run.stderr
    assert list(tmp_path.iterdir()) == []
