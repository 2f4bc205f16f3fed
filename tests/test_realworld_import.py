"""Every real-world file from other projects' test suites is rejected cleanly
by the whole import: none of them is a customer list."""

from pathlib import Path

import pytest

from customers.models import Customer, ImportBatch
from tests.importing_helpers import DATA_DIR, run_import

REALWORLD = sorted(path for path in (DATA_DIR / "realworld").iterdir() if path.suffix != ".md")

pytestmark = pytest.mark.django_db


def test_realworld_folder_complete():
    assert len(REALWORLD) == 80


@pytest.mark.parametrize("path", REALWORLD, ids=[path.name for path in REALWORLD])
def test_realworld_file_rejected(path: Path, sample_catalogue):
    code, result, stderr = run_import(path)

    assert code == 2
    assert result is None
    assert stderr.strip()
    assert "Traceback" not in stderr
    assert Customer.objects.count() == 0
    assert ImportBatch.objects.get().state == ImportBatch.State.FAILED
