"""Keep the example shop service running, as systemd's ``Restart=always`` would.

    python supervise.py --port 8080 --pidfile shop.pid [--broken] [--restart-sec 0.5]

Starts ``service.py`` beside this file, writes the service's pid into ``--pidfile`` (a
new pid after each restart: that is the process the chaos experiment kills), and starts
the service again whenever it exits, after ``--restart-sec``.  Like systemd's start limit,
it gives up (exit 1) when the service dies within a second of starting 5 times in a row
(a port already taken, a broken install).  SIGTERM or SIGINT stop the service (SIGTERM,
then SIGKILL after 10 s), remove the pid file and exit 0.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

SERVICE = Path(__file__).with_name("service.py")
START_LIMIT = 5  # quick deaths in a row before giving up
QUICK = 1.0  # seconds: a death this soon after the start counts as quick


def log(message: str) -> None:
    print(f"supervise[{os.getpid()}]: {message}", file=sys.stderr, flush=True)


def write_pid(pidfile: Path, pid: int) -> None:
    # Write then rename: a reader never sees a half-written pid.
    tmp = pidfile.with_name(pidfile.name + ".tmp")
    tmp.write_text(f"{pid}\n")
    tmp.replace(pidfile)


def stop(child: subprocess.Popen[bytes]) -> None:
    if child.poll() is None:
        child.terminate()
        try:
            child.wait(10)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--pidfile", type=Path, required=True, help="the service's pid file")
    parser.add_argument("--broken", action="store_true", help="start the service --broken")
    parser.add_argument("--restart-sec", type=float, default=0.5, help="pause before a restart")
    args = parser.parse_args(argv)

    stopping = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stopping.set())

    command = [sys.executable, str(SERVICE), "--host", args.host, "--port", str(args.port)]
    command += ["--broken"] if args.broken else []
    quick_deaths = 0
    while not stopping.is_set():
        started = time.monotonic()
        child = subprocess.Popen(command)
        write_pid(args.pidfile, child.pid)
        log(f"started the service, pid {child.pid}")
        while child.poll() is None and not stopping.wait(0.05):
            pass
        if stopping.is_set():
            stop(child)
            break
        log(f"the service (pid {child.pid}) exited with {child.returncode}; restarting")
        quick_deaths = quick_deaths + 1 if time.monotonic() - started < QUICK else 0
        if quick_deaths >= START_LIMIT:
            log(f"the service died {START_LIMIT} times within {QUICK:g} s of starting; giving up")
            args.pidfile.unlink(missing_ok=True)
            return 1
        stopping.wait(args.restart_sec)
    args.pidfile.unlink(missing_ok=True)
    log("stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
