"""`make lab` really starts JupyterLab: headless, on a free port of 127.0.0.1."""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url: str) -> tuple[int, bytes]:
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.status, response.read()


def test_make_lab_serves_jupyterlab(tmp_path):
    port, token = free_port(), secrets.token_hex(16)
    args = f"--no-browser --ip=127.0.0.1 --port={port} --ServerApp.token={token}"
    env = {**os.environ, "JUPYTER_RUNTIME_DIR": str(tmp_path), "JUPYTER_CONFIG_DIR": str(tmp_path)}
    with open(tmp_path / "lab.log", "w+") as log:
        check_lab(port, token, args, env, log)


def check_lab(port: int, token: str, args: str, env: dict, log) -> None:
    lab = subprocess.Popen(
        ["make", "--no-print-directory", "lab", f"LAB_ARGS={args}"],
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
        start_new_session=True,  # so the whole group (make and jupyter) can be stopped
    )
    try:
        deadline, status = time.monotonic() + 120, None
        while time.monotonic() < deadline and lab.poll() is None:
            try:
                code, body = get(f"http://127.0.0.1:{port}/api/status?token={token}")
                status = json.loads(body)
                break
            except OSError:
                time.sleep(1)
        log.seek(0)
        assert status is not None, f"JupyterLab did not answer:\n{log.read()[-3000:]}"
        assert code == 200 and "started" in status
        code, page = get(f"http://127.0.0.1:{port}/lab?token={token}")
        assert code == 200 and b"JupyterLab" in page
        code, body = get(f"http://127.0.0.1:{port}/api/contents?token={token}")
        names = {item["name"] for item in json.loads(body)["content"]}
        assert "00_start_here.ipynb" in names  # it serves notebooks/
    finally:
        os.killpg(lab.pid, signal.SIGTERM)
        try:
            lab.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(lab.pid, signal.SIGKILL)
