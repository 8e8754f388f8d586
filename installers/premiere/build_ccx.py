"""Build the retakes Premiere plugin as a `.ccx` (the UXP package: a ZIP with manifest.json at its
root, installed by Creative Cloud Desktop or Adobe's UPIA tool), or stage it unpacked for the UXP
Developer Tool.

    python installers/premiere/build_ccx.py [-o dist/retakes-premiere.ccx] [--port 8790] [--tls]
    python installers/premiere/build_ccx.py --unpacked DIR [--port N] [--tls]

UXP lets a plugin reach only the network addresses its manifest lists, so the gateway's address
is written into `requiredPermissions.network.domains` here, explicitly (never "all", and never
"all" inside a list, which denies everything). `--tls` lists https/wss on localhost (macOS's UXP
refuses plain http; the certificate must name localhost). Standard library only.
"""

from __future__ import annotations

import argparse
import json
import sys
import zipfile
from pathlib import Path

PLUGIN = Path(__file__).resolve().parents[2] / "bridge" / "premiere" / "plugin"
SUFFIXES = (".html", ".js", ".css", ".png", ".json")
DEFAULT_URL = "http://127.0.0.1:8790"


def domains(port: int, tls: bool) -> list[str]:
    return [f"https://localhost:{port}", f"wss://localhost:{port}"] if tls else \
        [f"http://127.0.0.1:{port}", f"ws://127.0.0.1:{port}"]


def gateway_url(port: int, tls: bool) -> str:
    return f"https://localhost:{port}" if tls else f"http://127.0.0.1:{port}"


def check(manifest: dict) -> None:
    """The rules a manifest must keep for this plugin to load and reach the gateway."""
    problems = []
    if manifest.get("manifestVersion") != 5:
        problems.append("manifestVersion must be 5 (Premiere's UXP network APIs need it)")
    host = manifest.get("host", {})
    if host.get("app") != "premierepro" or tuple(map(int, host.get("minVersion", "0").split("."))) < (25, 6):
        problems.append('host must be {"app": "premierepro", "minVersion": "25.6.0"} or later')
    listed = manifest.get("requiredPermissions", {}).get("network", {}).get("domains")
    if not isinstance(listed, list) or not listed:
        problems.append("requiredPermissions.network.domains must list the gateway's address")
    elif "all" in listed:
        problems.append('"all" inside the domains list denies every address; list the gateway explicitly')
    if problems:
        raise SystemExit("manifest.json: " + "; ".join(problems))


def files() -> dict[str, bytes]:
    return {p.relative_to(PLUGIN).as_posix(): p.read_bytes() for p in sorted(PLUGIN.rglob("*"))
            if p.is_file() and p.suffix in SUFFIXES}


def staged(port: int, tls: bool) -> dict[str, bytes]:
    out = files()
    manifest = json.loads(out["manifest.json"])
    manifest["requiredPermissions"]["network"]["domains"] = domains(port, tls)
    check(manifest)
    out["manifest.json"] = (json.dumps(manifest, indent=2) + "\n").encode()
    page = out["index.html"].decode()
    if DEFAULT_URL not in page:
        raise SystemExit(f"index.html no longer holds the default gateway address {DEFAULT_URL}")
    out["index.html"] = page.replace(DEFAULT_URL, gateway_url(port, tls)).encode()
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    where = parser.add_mutually_exclusive_group()
    where.add_argument("-o", "--output", type=Path, default=Path("dist/retakes-premiere.ccx"), help="the .ccx to write")
    where.add_argument("--unpacked", type=Path, metavar="DIR", help="write the plugin folder here instead (for UDT)")
    parser.add_argument("--port", type=int, default=8790, help="the gateway's port (default 8790)")
    parser.add_argument("--tls", action="store_true",
                        help="the gateway serves https/wss (retakes gateway serve --tls-cert)")
    args = parser.parse_args(argv)
    if not 0 < args.port < 65536:
        parser.error(f"--port: expected 1-65535, got {args.port}")
    content = staged(args.port, args.tls)
    if args.unpacked:
        for name, data in content.items():
            target = args.unpacked / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        print(f"wrote the plugin folder {args.unpacked} (UXP Developer Tool: Add Plugin, pick its manifest.json)")
        return 0
    if args.output.suffix != ".ccx":
        parser.error(f"--output: a .ccx file, got {args.output}")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    partial = args.output.with_name(args.output.name + ".partial")
    with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as ccx:
        for name, data in content.items():
            ccx.writestr(zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0)), data, zipfile.ZIP_DEFLATED)
    partial.replace(args.output)  # never a half-written package at the output path
    print(f"wrote {args.output} ({len(content)} files; gateway {gateway_url(args.port, args.tls)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
