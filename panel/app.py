"""Starting the panel: standalone, from the Resolve agent, or with a clip given on the command line.

- `python -m retakes.panel [MEDIA_OR_TIMELINE]` opens it on its own;
- the agent starts it with RETAKES_AGENT_FILE set: the panel connects back and loads the
  clip selected in Resolve;
- `--clip-json FILE_OR_JSON` loads an exact ClipRef (clip_to_json's format).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from PySide6.QtWidgets import QApplication

from . import theme
from .model.clips import clip_from_json
from .settings import PanelSettings
from .studio import Studio


def parse(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="retakes.panel", description="retakes Edit Studio")
    p.add_argument("path", nargs="?", help="a media file, image-sequence folder or timeline to open")
    p.add_argument("--clip-json", help="a ClipRef as JSON, or a file holding it")
    p.add_argument("--engine", help="engine address (socket path or host:port); remembered")
    p.add_argument("--token", default=None, help="engine token; remembered")
    return p.parse_args(argv)


def connect_agent() -> object | None:
    """The Resolve handle through the agent that started us, or None when standalone."""
    if not os.environ.get("RETAKES_AGENT_FILE"):
        return None
    from retakes.bridge.agent.client import AgentClient

    try:
        return AgentClient.from_file(os.environ["RETAKES_AGENT_FILE"]).resolve()
    except Exception as exc:  # noqa: BLE001 - shown in the panel, the panel still starts
        print(f"retakes: could not reach the agent: {exc}", file=sys.stderr)
        return None


def build(args: argparse.Namespace, settings: PanelSettings | None = None, resolve: object | None = None) -> Studio:
    settings = settings or PanelSettings()
    studio = Studio(settings, resolve=resolve)
    address = args.engine or settings.engine_address or os.environ.get("RETAKES_ENGINE", "")
    if not address:
        from retakes.engine.client import find_engine

        address = find_engine() or ""
    token = args.token if args.token is not None else settings.engine_token
    if address:
        studio.connect_engine(address, token)
    else:
        studio.error("No engine address yet: start one (retakes engine serve) and set it in File > Engine.")
    if args.clip_json:
        text = Path(args.clip_json).read_text() if Path(args.clip_json).exists() else args.clip_json
        studio.open_clip(clip_from_json(text))
    elif args.path:
        studio.open_path(args.path)
    elif resolve is not None:
        studio.load_from_resolve()
    return studio


def main(argv: list[str] | None = None) -> int:
    args = parse(sys.argv[1:] if argv is None else argv)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    theme.apply(app)
    studio = build(args, resolve=connect_agent())
    studio.window.show()
    code = app.exec()
    studio.close()
    return code
