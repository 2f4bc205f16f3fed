"""Every file rejection message is registered in every process.

The web process imports the views but not the format readers, which load
only when a worker reads a file. A message registered by a reader module
that the web process never imports leaves a failed batch without a reason.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent

# Runs in a fresh interpreter, so no module imported by the tests is loaded.
# It prints the codes registered after importing the URL configuration (the
# web process), then those registered after importing every import module.
PROBE = """
import importlib, json, pkgutil
import django
django.setup()
import ebilling.urls
from customers.importing import problems
web_codes = sorted(problems.FILE_MESSAGES)
import customers.importing as package
for module in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
    if not module.name.endswith("xls_worker"):
        importlib.import_module(module.name)
print(json.dumps({"web": web_codes, "all": sorted(problems.FILE_MESSAGES)}))
"""


def registered_codes():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "ebilling.settings"}
    completed = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=PROJECT_DIR, env=env, capture_output=True, text=True, check=True
    )
    return json.loads(completed.stdout)


def test_web_process_registers_every_file_message():
    codes = registered_codes()

    assert set(codes["all"]) - set(codes["web"]) == set()


def test_reader_messages_registered_in_web_process():
    codes = registered_codes()

    for code in ("xls_unreadable", "read_timed_out", "read_out_of_memory", "csv_invalid"):
        assert code in codes["web"], code
