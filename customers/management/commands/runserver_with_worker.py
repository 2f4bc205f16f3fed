"""Run Django's development server and one database task worker together."""

import ctypes
import os
import signal
import subprocess
import sys
import threading

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

# Seconds the worker gets to finish its current task after the server stops.
WORKER_STOP_TIMEOUT = 10

# The prctl() option of Linux (<sys/prctl.h>) that sets the signal a
# process gets when its parent ends.
PR_SET_PDEATHSIG = 1


class Command(BaseCommand):
    help = (
        "Start `manage.py db_worker` as a child process, then run the development server "
        "in this terminal. Stopping the server (Ctrl+C) stops the worker too."
    )

    def add_arguments(self, parser):
        parser.add_argument("addrport", nargs="?", default="", help="Address and port to serve, e.g. 127.0.0.1:8000.")
        parser.add_argument(
            "--noreload",
            action="store_false",
            dest="use_reloader",
            help="Do not restart the server when code changes.",
        )

    def handle(self, *args, **options):
        # With the autoreloader, runserver starts this command again in a
        # child process marked RUN_MAIN=true. Only the outer process owns the worker.
        if os.environ.get("RUN_MAIN") == "true":
            call_command("runserver", options["addrport"], use_reloader=True)
            return

        # A reloading worker would stop an import in the middle whenever a
        # file changes, so it runs without reload even under DEBUG.
        worker = subprocess.Popen(
            [sys.executable, str(settings.BASE_DIR / "manage.py"), "db_worker", "--no-reload"],
            preexec_fn=stop_with_parent if sys.platform.startswith("linux") else None,
        )
        self.stdout.write(f"Task worker started (process {worker.pid}).")
        interrupted = watch_for_interrupt()
        # SIGTERM (kill, systemd, docker stop) ends the server through the
        # finally block below, so the worker is stopped too.
        signal.signal(signal.SIGTERM, exit_on_signal)
        try:
            call_command("runserver", options["addrport"], use_reloader=options["use_reloader"])
        except KeyboardInterrupt:
            pass
        finally:
            self.stop_worker(worker, interrupted=interrupted.is_set())

    def stop_worker(self, worker, *, interrupted):
        """Stop the worker and wait for it, killing it after WORKER_STOP_TIMEOUT seconds.

        Ctrl+C in the terminal reaches the worker too, and it then finishes
        its current task. A second signal would make it abandon that task, so
        it gets SIGTERM only when the server stopped for another reason.
        """
        if worker.poll() is None and not interrupted:
            worker.terminate()
        try:
            worker.wait(timeout=WORKER_STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.stderr.write(f"Task worker {worker.pid} did not stop within {WORKER_STOP_TIMEOUT} s, so it was killed.")
            worker.kill()
            worker.wait()
        self.stdout.write(f"Task worker stopped (exit code {worker.returncode}).")


def watch_for_interrupt():
    """Return an Event set on SIGINT, keeping SIGINT's current handling
    (KeyboardInterrupt by default, nothing when the signal is ignored)."""
    interrupted = threading.Event()
    current_handler = signal.getsignal(signal.SIGINT)
    if not callable(current_handler):
        return interrupted

    def note_interrupt(signum, frame):
        interrupted.set()
        current_handler(signum, frame)

    signal.signal(signal.SIGINT, note_interrupt)
    return interrupted


def exit_on_signal(signum, frame):
    raise SystemExit(128 + signum)


def stop_with_parent():
    """Make Linux send SIGTERM to this child process when the command's
    process ends, also through os._exit() or SIGKILL, where no finally
    block runs. runserver calls os._exit(1) when its port is taken."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
