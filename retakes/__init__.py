"""retakes: AI video edits inside the NLE.

This folder holds only the namespace's root. The code lives in the top-level rooms
(`engine/`, `bridge/`, `panel/`, `cli/`, `protos/`), mapped to `retakes.engine`,
`retakes.bridge`, ... by setup.py (DESIGN.md, "Import names").
"""

__version__ = "0.1.0"
