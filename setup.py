"""Maps the top-level rooms (DESIGN.md) into the one `retakes.*` import namespace.

pyproject.toml holds the metadata; this file only computes the package list, because
setuptools' declarative `packages.find` cannot remap folders to dotted names.
"""

from setuptools import find_namespace_packages, setup

ROOMS = {
    "retakes.v1": "protos/retakes/v1",
    "retakes.engine": "engine",
    "retakes.bridge": "bridge",
    "retakes.panel": "panel",
    "retakes.cli": "cli",
}

package_dir = {"retakes": "retakes", **ROOMS}
packages = ["retakes"]
for name, folder in ROOMS.items():
    packages.append(name)
    packages += [f"{name}.{sub}" for sub in find_namespace_packages(folder, exclude=["*__pycache__*"])]

setup(packages=packages, package_dir=package_dir)
