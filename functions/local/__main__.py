"""`python -m functions.local [--port 8000] [--empty]`: the whole system on this machine."""

from __future__ import annotations

import argparse
import os
import signal
import threading

from .stack import LocalStack


def main() -> None:
    parser = argparse.ArgumentParser(description="Run the client portal locally on embedded AWS (moto).")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    parser.add_argument(
        "--empty", action="store_true", help="start with no data: no saved state, no demo practice"
    )
    args = parser.parse_args()
    stack = LocalStack(port=args.port, empty=args.empty).start()
    stopped = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stopped.set())
    stopped.wait()
    print("\nstopping...", flush=True)
    # Whatever the AWS endpoint does, the process is gone within 5 seconds of the signal.
    watchdog = threading.Timer(4.5, lambda: os._exit(1))
    watchdog.daemon = True
    watchdog.start()
    stack.stop()
    print("stopped; data kept for the next start" if stack.state_file else "stopped", flush=True)


if __name__ == "__main__":
    main()
