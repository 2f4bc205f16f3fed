"""Run Django's development server and one database task worker together."""

import os
import subprocess
import sys

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

# Seconds the worker gets to finish its current task after the server stops.
WORKER_STOP_TIMEOUT = 10


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

        worker = subprocess.Popen([sys.executable, str(settings.BASE_DIR / "manage.py"), "db_worker"])
        self.stdout.write(f"Task worker started (process {worker.pid}).")
        try:
            call_command("runserver", options["addrport"], use_reloader=options["use_reloader"])
        except KeyboardInterrupt:
            pass
        finally:
            self.stop_worker(worker)

    def stop_worker(self, worker):
        """Stop the worker, which also receives Ctrl+C from the terminal, and
        kill it when it has not stopped within WORKER_STOP_TIMEOUT seconds."""
        if worker.poll() is None:
            worker.terminate()
        try:
            worker.wait(timeout=WORKER_STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.stderr.write(f"Task worker {worker.pid} did not stop within {WORKER_STOP_TIMEOUT} s, so it was killed.")
            worker.kill()
            worker.wait()
        self.stdout.write(f"Task worker stopped (exit code {worker.returncode}).")
