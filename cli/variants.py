"""`retakes edit --variants FILE` and repeated op options: the parameter sets of a batch.

A CSV file has a header row of parameter names (as the options are spelt, `color` or
`--color`), one row per variant; a YAML file is a list of mappings, or a mapping of variant
names to mappings. An optional `name` column/key names a variant (its output is
`OUT_<name>.ext` and its version's label); unnamed variants are numbered from 01. An empty
cell leaves that parameter to the command line's value.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml


class VariantsError(Exception):
    """A variants file or option that cannot be read (one line naming the option)."""


@dataclass(frozen=True)
class VariantSpec:
    name: str
    #: parameter name (underscores) -> the text a user would give its option
    params: dict[str, str] = field(default_factory=dict)


_NAME_OK = re.compile(r"[A-Za-z0-9._-]+")


def _param_name(key: object, where: str) -> str:
    name = str(key).strip().removeprefix("--").replace("-", "_")
    if not name:
        raise VariantsError(f"--variants: {where}: a column without a name")
    return name


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value).strip()


def _spec(row: dict, where: str) -> VariantSpec:
    name = ""
    params: dict[str, str] = {}
    for key, value in row.items():
        if key is None:
            raise VariantsError(f"--variants: {where}: more cells than the header has names")
        pname = _param_name(key, where)
        text = "" if value is None else _text(value)
        if pname == "name":
            name = text
        elif text:
            params[pname] = text
    if name and not _NAME_OK.fullmatch(name):
        raise VariantsError(f"--variants: {where}: a name is letters, digits, '.', '_' and '-' (it names a file), "
                            f"got {name!r}")
    return VariantSpec(name, params)


def read_variants(path: Path) -> list[VariantSpec]:
    if not path.is_file():
        raise VariantsError(f"--variants: {path} does not exist or is not a file")
    text = path.read_text(encoding="utf-8-sig")
    if path.suffix.lower() in (".yaml", ".yml"):
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as error:
            raise VariantsError(f"--variants: {path.name} is not valid YAML: {str(error).splitlines()[0]}") from None
        if isinstance(data, dict):
            data = [{"name": key, **(value or {})} if isinstance(value, dict) else None
                    for key, value in data.items()]
        if not isinstance(data, list) or not all(isinstance(row, dict) for row in data):
            raise VariantsError(f"--variants: {path.name}: expected a list of parameter mappings "
                                "(or a mapping of names to them)")
        specs = [_spec(row, f"{path.name} item {i + 1}") for i, row in enumerate(data)]
    elif path.suffix.lower() == ".csv":
        rows = list(csv.DictReader(text.splitlines()))
        specs = [_spec(row, f"{path.name} line {i + 2}") for i, row in enumerate(rows)]
    else:
        raise VariantsError(f"--variants: expected a .csv, .yaml or .yml file, got {path.name}")
    if not specs:
        raise VariantsError(f"--variants: {path.name} holds no variant")
    return specs


def from_repeated(name: str, values: list[str]) -> list[VariantSpec]:
    """`--color A --color B`: one variant per value, named by it (`#C81E1E` -> `C81E1E`)."""
    specs = []
    for value in values:
        label = re.sub(r"[^A-Za-z0-9._-]+", "-", value.strip()).strip("-")[:40]
        specs.append(VariantSpec(label, {name: value}))
    if len({s.name for s in specs}) != len(specs) or not all(s.name for s in specs):
        specs = [VariantSpec("", s.params) for s in specs]  # numbered instead
    return specs


def variant_output(output: str, name: str) -> str:
    """`car.mkv` -> `car_red.mkv`; a folder `graded/` -> `graded_red/`."""
    folder = output.endswith(("/", "\\"))
    base = output.rstrip("/\\")
    p = Path(base)
    stem, suffix = (p.name, "") if folder or not p.suffix else (p.stem, p.suffix)
    return str(p.with_name(f"{stem}_{name}{suffix}")) + ("/" if folder else "")
