"""`retakes gateway serve` as a user runs it: the real entry point in a subprocess, port 0."""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import signal
import ssl
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest
from gateway_site import engine_config

from retakes.engine.service.server import engine_in_thread

RETAKES = Path(sys.executable).with_name("retakes")
LISTENING = re.compile(r"retakes gateway listening on (https?://127\.0\.0\.1:\d+)")


@pytest.fixture
def home() -> Iterator[Path]:
    tmp = Path(tempfile.mkdtemp(prefix="rtk-gc-", dir="/tmp"))
    yield tmp
    shutil.rmtree(tmp, ignore_errors=True)


def _env(home: Path) -> dict:
    env = {**os.environ, "RETAKES_HOME": str(home / "state"), "RETAKES_STATE_DIR": str(home / "state")}
    env.pop("RETAKES_ENGINE", None)
    return env


def _start(home: Path, *args: str) -> tuple[subprocess.Popen, str, list[str]]:
    proc = subprocess.Popen([str(RETAKES), "gateway", "serve", "--port", "0", *args], env=_env(home),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines = []
    for line in proc.stdout:
        lines.append(line.rstrip())
        if match := LISTENING.search(line):
            return proc, match.group(1), lines
    raise AssertionError(f"the gateway did not start: {lines}")


def _stop(proc: subprocess.Popen) -> int:
    proc.send_signal(signal.SIGINT)
    try:
        return proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()


async def _get(url: str, token: str | None, ssl_context: ssl.SSLContext | None = None) -> tuple[int, dict]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with aiohttp.ClientSession() as session, session.get(url, headers=headers, ssl=ssl_context) as r:
        return r.status, await r.json()


def test_serve_starts_a_private_engine_writes_its_token_and_stops_on_interrupt(home: Path):
    proc, url, lines = _start(home, "--versions-root", str(home / "versions"))
    try:
        assert any(line.startswith("started a private engine on unix://") for line in lines)
        token_file = home / "state" / "gateway.token"
        assert f"token written to {token_file}" in lines
        assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
        token = token_file.read_text()
        status, caps = asyncio.run(_get(f"{url}/v1/capabilities", token))
        assert status == 200 and any(op["name"] == "relight" for op in caps["ops"])
        assert asyncio.run(_get(f"{url}/v1/capabilities", None))[0] == 401
    finally:
        code = _stop(proc)
    assert code == 0


def test_serve_over_tls_with_a_given_token_and_engine(home: Path):
    if shutil.which("openssl") is None:
        pytest.skip("openssl not found (it makes the test certificate)")
    cert, key = home / "cert.pem", home / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    token_file = home / "token"
    token_file.write_text("a-token-of-thirty-two-characters")
    with engine_in_thread(engine_config(home / "engine")) as engine:
        proc, url, _ = _start(home, "--engine", f"unix://{engine.socket_path}", "--token-file", str(token_file),
                              "--tls-cert", str(cert), "--tls-key", str(key), "--versions-root", str(home / "v"))
        try:
            assert url.startswith("https://")
            port = url.rsplit(":", 1)[1]
            trusting = ssl.create_default_context(cafile=str(cert))
            status, caps = asyncio.run(_get(f"https://localhost:{port}/v1/capabilities",
                                            "a-token-of-thirty-two-characters", trusting))
            assert status == 200 and caps["engineVersion"]

            async def watch() -> tuple[dict, int]:
                async with aiohttp.ClientSession() as session, session.ws_connect(
                        f"wss://localhost:{port}/v1/jobs/none/watch", ssl=trusting) as ws:
                    await ws.send_str(json.dumps({"token": "a-token-of-thirty-two-characters"}))
                    message = await ws.receive_json(timeout=10)
                    await ws.receive(timeout=10)
                    return message, ws.close_code
            message, code = asyncio.run(watch())
            assert message["error"]["code"] == "NOT_FOUND" and code == 4404
            with pytest.raises(aiohttp.ClientError):  # plain http to the TLS port gets nowhere
                asyncio.run(_get(f"http://127.0.0.1:{port}/v1/capabilities", "a-token-of-thirty-two-characters"))
        finally:
            assert _stop(proc) == 0


@pytest.mark.parametrize("args, expected", [
    (["--host", "0.0.0.0"], "--host: the gateway listens on this machine only"),
    (["--tls-cert", "/nope/cert.pem", "--tls-key", "/nope/key.pem"], "--tls-cert: /nope/cert.pem does not exist"),
    (["--tls-cert", "/nope/cert.pem"], "--tls-cert and --tls-key go together"),
    (["--token-file", "/nope/token"], "--token-file: cannot read /nope/token"),
    (["--max-body-bytes", "10"], "--max-body-bytes: at least 1024"),
])
def test_bad_options_are_one_line_errors_and_write_nothing(home: Path, args: list[str], expected: str):
    run = subprocess.run([str(RETAKES), "gateway", "serve", "--port", "0", "--engine", "unix:///nope.sock", *args],
                         env=_env(home), capture_output=True, text=True, timeout=60)
    assert run.returncode == 2
    assert run.stderr.count("\n") == 1 and expected in run.stderr, run.stderr
    assert not (home / "state").exists()  # no token file, no state folder


def test_a_port_in_use_is_named(home: Path):
    import socket

    token = home / "token"
    token.write_text("x" * 32)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        run = subprocess.run([str(RETAKES), "gateway", "serve", "--port", str(port), "--engine", "unix:///nope.sock",
                              "--token-file", str(token)], env=_env(home), capture_output=True, text=True, timeout=60)
    assert run.returncode == 2 and f"--port: cannot listen on 127.0.0.1:{port}" in run.stderr


def test_the_engine_can_start_the_gateway_too(home: Path):
    sock = home / "e.sock"
    proc = subprocess.Popen([str(RETAKES), "engine", "serve", "--socket", str(sock), "--gateway-port", "0"],
                            env=_env(home), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines, url = [], None
    try:
        for line in proc.stdout:
            lines.append(line.rstrip())
            if match := LISTENING.search(line):
                url = match.group(1)
                break
        assert url, lines
        assert f"retakes engine listening on unix://{sock}" in lines
        token = (home / "state" / "gateway.token").read_text()
        status, caps = asyncio.run(_get(f"{url}/v1/capabilities", token))
        assert status == 200 and caps["engineVersion"]
    finally:
        code = _stop(proc)
    assert code == 0 and not sock.exists()
