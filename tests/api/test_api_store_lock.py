"""One writer per store: the OS file lock, the audit log's line handling, tidy start-up."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from pydantic import ValidationError

from api.errors import StoreLockedError
from api.settings import Settings
from api.store import ScenarioStore, StoreLock
from geo.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _serve(folder: Path, port: int) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "CIRCLES_EDIT_TOKEN": "two-servers-token-0123456789",
        "CIRCLES_CACHE_DIR": str(folder / "cache"),
    }
    command = [sys.executable, "-m", "api.cli", "serve", "--port", str(port)]
    command += ["--data-dir", str(folder / "store"), "--basemap", "none"]
    return subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )


def _wait_healthy(url: str, process: subprocess.Popen[str], timeout_s: float = 300) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the server stopped: {process.stdout.read() if process.stdout else ''}")
        try:
            if httpx.get(f"{url}/healthz", timeout=5).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)  # polling a condition, not waiting for it
    pytest.fail(f"the server at {url} did not answer within {timeout_s} s")


def test_two_server_processes_on_one_store(tmp_path):
    first_port, second_port = _free_port(), _free_port()
    first = _serve(tmp_path, first_port)
    try:
        _wait_healthy(f"http://127.0.0.1:{first_port}", first)
        second = _serve(tmp_path, second_port)
        output, _ = second.communicate(timeout=300)
        assert second.returncode != 0
        assert "is already served by another process" in output
        assert f"(pid {first.pid})" in output
        assert "CIRCLES_DATA_DIR" in output
        # The first server still answers and writes.
        url = f"http://127.0.0.1:{first_port}"
        response = httpx.post(
            f"{url}/api/scenario/facilities/stations",
            json={"name": "新站", "lon": 119.46, "lat": 32.2},
            headers={"Authorization": "Bearer two-servers-token-0123456789"},
            timeout=120,
        )
        assert response.status_code == 201, response.text
    finally:
        first.terminate()
        first.communicate(timeout=120)


def test_audit_log_keeps_entries_with_unicode_line_separators(tmp_path):
    store = ScenarioStore(tmp_path, "jingkou")
    scenario = load_scenario("jingkou")
    names = ["甲\u2028乙", "para\u2029graph", "next\x85line", "tab\there"]
    for name in names:
        store.save(scenario, who="li", action="add", layer="stations", detail={"name": name})
    entries = store.audit_log()
    assert [entry.detail["name"] for entry in entries] == names
    # A restart reads the same log.
    assert [e.detail for e in ScenarioStore(tmp_path, "jingkou").audit_log()] == [
        {"name": name} for name in names
    ]


def test_audit_log_skips_a_line_cut_short_by_a_crash(tmp_path):
    store = ScenarioStore(tmp_path, "jingkou")
    store.save(load_scenario("jingkou"), who="li", action="seed", layer="all", detail={})
    with open(store.audit_path, "a", encoding="utf-8") as log:
        log.write('{"who": "li", "when": "2024')  # the process died mid-line
    entries = store.audit_log()
    assert [entry.action for entry in entries] == ["seed"]
    assert json.loads(store.audit_path.read_text(encoding="utf-8").split("\n")[0])["ok"]


def test_start_up_removes_temporaries_of_an_interrupted_write(tmp_path):
    store = tmp_path / "store"
    store.mkdir()
    stale = [store / ".jingkou-abc123.gpkg", store / ".jingkou-abc123.gpkg-journal"]
    kept = [store / "jingkou.gpkg.bak", store / ".other-abc.gpkg"]
    for path in stale + kept:
        path.write_bytes(b"x")
    with StoreLock(store, "jingkou"):
        assert not any(path.exists() for path in stale)
        assert all(path.exists() for path in kept)


_HOLD = """
import sys
from pathlib import Path
from api.store import StoreLock
lock = StoreLock(Path(sys.argv[1]), "jingkou")
lock.acquire()
print("held", flush=True)
sys.stdin.readline()
lock.release()
print("released", flush=True)
sys.stdin.readline()
"""


def test_lock_is_refused_while_another_process_holds_it(tmp_path):
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLD, str(tmp_path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        assert holder.stdout is not None and holder.stdin is not None
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(StoreLockedError, match=f"pid {holder.pid}"):
            StoreLock(tmp_path, "jingkou").acquire()
        holder.stdin.write("\n")
        holder.stdin.flush()
        assert holder.stdout.readline().strip() == "released"
        with StoreLock(tmp_path, "jingkou"):  # free once the other process let it go
            pass
    finally:
        holder.kill()
        holder.wait(timeout=60)


def test_apps_of_one_process_share_the_lock(tmp_path):
    with StoreLock(tmp_path, "jingkou"), StoreLock(tmp_path, "jingkou"):
        pass


@pytest.mark.parametrize("token", ["", "   ", "x", "short-token-15c"])
def test_a_blank_or_short_token_is_refused(token):
    with pytest.raises(ValidationError, match=r"at least 16 characters\. Make one with: python -c"):
        Settings(edit_token=token)


def test_a_token_of_16_characters_is_accepted():
    assert Settings(edit_token="0123456789abcdef").edit_token is not None
