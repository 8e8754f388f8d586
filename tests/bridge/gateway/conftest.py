"""A real engine (gRPC, TCP with its token) and the gateway in front of it, on loopback port 0,
driven by real HTTP and WebSocket clients (aiohttp's)."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from gateway_site import RATE, SIZE, Site, engine_config

from retakes.bridge.gateway.config import GatewayConfig
from retakes.bridge.gateway.server import gateway_in_thread
from retakes.engine.media.synthetic import write_index_clip
from retakes.engine.service.server import engine_in_thread


@pytest.fixture(scope="module")
def site() -> Iterator[Site]:
    tmp = Path(tempfile.mkdtemp(prefix="rtk-gw-", dir="/tmp"))  # short: a Unix socket lives here
    try:
        media = tmp / "media" / "shot.mov"
        media.parent.mkdir()
        write_index_clip(media, frames=16, rate=RATE, size=SIZE, codec="prores_422hq",
                         start_timecode="10:00:00:00", audio=True)
        long_media = tmp / "media" / "long.mov"
        write_index_clip(long_media, frames=96, rate=RATE, size=SIZE, codec="prores_422hq")
        with engine_in_thread(engine_config(tmp / "state")) as engine:
            config = GatewayConfig(engine_target=f"127.0.0.1:{engine.tcp_port}", engine_token=engine.token, port=0,
                                   versions_root=tmp / "versions", allowed_origins=("https://trusted.example",),
                                   ws_auth_seconds=1.0, max_body_bytes=64 << 10)
            with gateway_in_thread(config) as gateway:
                yield Site(gateway, engine, media, long_media, config.versions_root, config.token)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
