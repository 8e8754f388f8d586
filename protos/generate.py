"""Regenerates the Python code for `protos/retakes/v1/*.proto`, in place.

    python protos/generate.py          # write the generated modules
    python protos/generate.py --check  # exit 1 if the committed modules are stale

The generated modules are committed (users need no protobuf compiler) and CI runs
`--check`. They sit beside their .proto files so the import path mirrors the package:
`retakes.v1.engine_pb2` (grpc/grpc#29459).
"""

from __future__ import annotations

import argparse
import filecmp
import shutil
import sys
import tempfile
from importlib import resources
from pathlib import Path

from grpc_tools import protoc

PROTO_ROOT = Path(__file__).resolve().parent
PACKAGE_DIR = PROTO_ROOT / "retakes" / "v1"
GENERATED_SUFFIXES = ("_pb2.py", "_pb2.pyi", "_pb2_grpc.py")


def generate(out_root: Path) -> list[Path]:
    """Compiles every .proto of the package into `out_root` and returns the written files."""
    well_known = str(resources.files("grpc_tools") / "_proto")
    protos = sorted(PACKAGE_DIR.glob("*.proto"))
    args = [
        "grpc_tools.protoc",
        f"--proto_path={PROTO_ROOT}",
        f"--proto_path={well_known}",
        f"--python_out={out_root}",
        f"--pyi_out={out_root}",
        f"--grpc_python_out={out_root}",
        *(str(p) for p in protos),
    ]
    if protoc.main(args) != 0:
        raise SystemExit("protoc failed")
    return sorted(p for p in (out_root / "retakes" / "v1").iterdir() if p.name.endswith(GENERATED_SUFFIXES))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare instead of writing")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        fresh = generate(Path(tmp))
        stale = [f.name for f in fresh if not (PACKAGE_DIR / f.name).exists()
                 or not filecmp.cmp(f, PACKAGE_DIR / f.name, shallow=False)]
        if args.check:
            if stale:
                print(f"generated protobuf code is stale: {', '.join(stale)}; run python protos/generate.py")
                return 1
            print(f"generated protobuf code is up to date ({len(fresh)} files)")
            return 0
        for f in fresh:
            shutil.copyfile(f, PACKAGE_DIR / f.name)
        print(f"wrote {len(fresh)} files to {PACKAGE_DIR}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
