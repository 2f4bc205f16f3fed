"""The health check, also served by the `make run` server with a task worker beside it."""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path


PROJECT_DIR = Path(__file__).resolve().parent.parent

# Maximum seconds to wait for the server to start. The test only waits for
# it and does not measure the startup time.
SERVER_START_DEADLINE_SECONDS = 90


def test_healthz_returns_ok(client, db):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.content == b"ok"
    assert response["Content-Type"] == "text/plain"


def test_healthz_is_never_cached(client, db):
    response = client.get("/healthz")

    assert "no-cache" in response["Cache-Control"]


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def child_pids(pid):
    """Return the ids of the direct child processes of `pid` (Linux /proc)."""
    children = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text().split()
        children.update(int(child) for child in text)
    return children


def command_line(pid):
    return Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")


def restore_default_sigint():
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def wait_for_healthz(url, server):
    """Return the body of the first response from `url`, or None if the server exits first."""
    deadline = time.monotonic() + SERVER_START_DEADLINE_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            return None
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                return response.read()
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.3)
    return None


def wait_for_text(path, text, server):
    """Wait until `text` appears in the file at `path`, or the server exits."""
    deadline = time.monotonic() + SERVER_START_DEADLINE_SECONDS
    while time.monotonic() < deadline and server.poll() is None:
        if text in path.read_text():
            return
        time.sleep(0.3)


def test_runserver_with_worker_stops_worker(tmp_path):
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "DEBUG": "1",
        "PYTHONUNBUFFERED": "1",
    }
    manage = [sys.executable, str(PROJECT_DIR / "manage.py")]
    subprocess.run([*manage, "migrate", "--noinput", "-v", "0"], env=env, check=True, cwd=PROJECT_DIR)
    port = free_port()
    log = (tmp_path / "server.log").open("w")

    # A session of its own, so SIGINT reaches the server and the worker
    # together, as Ctrl+C in a terminal does. SIGINT gets its default
    # handling back in case pytest runs as a background job that ignores it.
    server = subprocess.Popen(
        [*manage, "runserver_with_worker", f"127.0.0.1:{port}", "--noreload"],
        env=env,
        cwd=PROJECT_DIR,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        preexec_fn=restore_default_sigint,
    )
    try:
        body = wait_for_healthz(f"http://127.0.0.1:{port}/healthz", server)
        wait_for_text(tmp_path / "server.log", "Starting worker", server)
        workers = [pid for pid in child_pids(server.pid) if b"db_worker" in command_line(pid)]
        worker_arguments = command_line(workers[0]) if workers else []

        os.killpg(server.pid, signal.SIGINT)
        server.wait(timeout=60)
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
        log.close()

    output = (tmp_path / "server.log").read_text()
    assert body == b"ok", output
    assert len(workers) == 1, output
    # Under DEBUG too, a code change must not restart the worker mid-import.
    assert b"--no-reload" in worker_arguments
    assert not Path(f"/proc/{workers[0]}").exists(), output
    assert f"Task worker started (process {workers[0]})." in output
    assert "Task worker stopped (exit code 0)." in output


def start_server_with_worker(tmp_path, port):
    """Start runserver_with_worker on a fresh SQLite database and return
    (server process, log path, worker pid or None)."""
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "DEBUG": "1",
        "PYTHONUNBUFFERED": "1",
    }
    manage = [sys.executable, str(PROJECT_DIR / "manage.py")]
    subprocess.run([*manage, "migrate", "--noinput", "-v", "0"], env=env, check=True, cwd=PROJECT_DIR)
    log_path = tmp_path / "server.log"
    server = subprocess.Popen(
        [*manage, "runserver_with_worker", f"127.0.0.1:{port}", "--noreload"],
        env=env,
        cwd=PROJECT_DIR,
        stdout=log_path.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    wait_for_text(log_path, "Task worker started", server)
    text = log_path.read_text()
    worker = None
    if "Task worker started (process " in text:
        worker = int(text.split("Task worker started (process ", 1)[1].split(")", 1)[0])
    return server, log_path, worker


def process_running(pid):
    """Return whether the process `pid` exists and is not a zombie (Linux /proc)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def wait_for_exit(pid):
    """Wait until the process `pid` has ended, for at most 30 seconds."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and process_running(pid):
        time.sleep(0.2)


def kill_leftovers(server, worker):
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()
    if worker is not None and process_running(worker):
        os.kill(worker, signal.SIGKILL)


def test_sigterm_stops_server_and_worker(tmp_path):
    port = free_port()
    server, log_path, worker = start_server_with_worker(tmp_path, port)
    try:
        body = wait_for_healthz(f"http://127.0.0.1:{port}/healthz", server)
        wait_for_text(log_path, "Starting worker", server)

        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)
        wait_for_exit(worker)
        worker_left = process_running(worker)
    finally:
        kill_leftovers(server, worker)

    output = log_path.read_text()
    assert body == b"ok", output
    assert worker is not None, output
    assert not worker_left, output


def test_taken_port_stops_worker(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        server, log_path, worker = start_server_with_worker(tmp_path, port)
        try:
            server.wait(timeout=60)
            wait_for_exit(worker)
            worker_left = process_running(worker)
        finally:
            kill_leftovers(server, worker)

    output = log_path.read_text()
    assert "That port is already in use." in output
    assert server.returncode == 1
    assert worker is not None, output
    assert not worker_left, output
