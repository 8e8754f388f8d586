"""Copy a wheel without the parts a benchmark never loads, so it fits one device call's carry.

The device machine takes at most 64 MiB per call, the checkout included. Ray's cp312 wheel is
79 MB, 30 MB of it the Java worker's jars; the Python executor never loads them, nor RLlib or the
dashboard's source maps. The copy's RECORD lists only what it holds, so pip installs it cleanly.

    python bench/gpu/slim_wheel.py ray-2.60.0-cp312-cp312-manylinux2014_x86_64.whl .whl/raylite \
        --drop ray/jars/ --drop ray/rllib/ --drop .js.map
"""

from __future__ import annotations

import argparse
import csv
import io
import zipfile
from pathlib import Path


def slim(wheel: Path, into: Path, dropped: list[str]) -> Path:
    """Writes `into/<wheel's name>` without the members whose path starts or ends with a `dropped` string."""

    def keep(name: str) -> bool:
        return not any(name.startswith(d) or name.endswith(d) for d in dropped)

    into.mkdir(parents=True, exist_ok=True)
    target = into / wheel.name
    with zipfile.ZipFile(wheel) as source, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as out:
        for member in source.infolist():
            if not keep(member.filename):
                continue
            data = source.read(member.filename)
            if member.filename.endswith(".dist-info/RECORD"):
                rows = [row for row in csv.reader(io.StringIO(data.decode())) if row and keep(row[0])]
                text = io.StringIO()
                csv.writer(text, lineterminator="\n").writerows(rows)
                data = text.getvalue().encode()
            info = zipfile.ZipInfo(member.filename, member.date_time)
            info.external_attr = member.external_attr  # executables (raylet, gcs_server) stay executable
            info.compress_type = zipfile.ZIP_DEFLATED
            out.writestr(info, data, compresslevel=9)
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("wheel", type=Path)
    parser.add_argument("into", type=Path)
    parser.add_argument("--drop", action="append", default=[], help="a member path prefix or suffix to leave out")
    args = parser.parse_args()
    target = slim(args.wheel, args.into, args.drop)
    print(f"{target}: {target.stat().st_size / 1e6:.1f} MB (was {args.wheel.stat().st_size / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
