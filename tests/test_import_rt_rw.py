"""RT/RW columns beside the Alamat are read, normalised and added to it."""

import datetime
import io

import pytest
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook

from customers.importing import batches
from customers.importing.cleaners import clean_rt, clean_rt_rw, clean_rw
from customers.importing.headers import field_for_header, map_headers
from customers.importing.problems import CellError
from customers.importing.rt_rw import format_rt_rw
from customers.models import Customer, ImportBatch, ImportChange
from tests.importing_helpers import write_workbook

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalogue(sample_catalogue, regions_loaded):
    return sample_catalogue


def validate(path, rows, user, mode=ImportBatch.Mode.CREATE):
    write_workbook(path, rows)
    with open(path, "rb") as handle:
        batch = batches.create_batch(handle, path.name, user=user, mode=mode)
    batches.validate_batch(batch)
    batch.refresh_from_db()
    return batch


def save(path, rows, user, mode=ImportBatch.Mode.CREATE):
    batch = validate(path, rows, user, mode)
    batches.commit_batch(batch)
    batch.refresh_from_db()
    assert batch.state == ImportBatch.State.DONE
    return batch


def notes(batch):
    return [(note.row, note.column, note.value, note.code) for note in batch.problems.filter(kind="note").order_by("row", "id")]


def english_messages(batch):
    with translation.override("en"):
        return [note.message for note in batch.problems.filter(kind="note").order_by("row", "id")]


# ---------------------------------------------------------------------------
# Headers


@pytest.mark.parametrize("header, field_name", [
    ("RT/RW", "rt_rw"),
    ("RT / RW", "rt_rw"),
    ("RT-RW", "rt_rw"),
    ("RTRW", "rt_rw"),
    ("rt.rw", "rt_rw"),
    ("No. RT/RW", "rt_rw"),
    ("RT", "rt"),
    ("No RT", "rt"),
    ("Nomor RT", "rt"),
    ("RW", "rw"),
    ("No. RW", "rw"),
    ("Rukun Warga", "rw"),
])
def test_rt_rw_header_recognised(header, field_name):
    assert field_for_header(header) == field_name


def test_rt_and_rw_columns_mapped():
    header_map = map_headers(["Nama", "Alamat", "RT", "RW"])

    assert header_map.columns == {0: "name", 1: "address", 2: "rt", 3: "rw"}
    assert header_map.unknown == []


# ---------------------------------------------------------------------------
# Cleaning


@pytest.mark.parametrize("value, expected", [
    ("001/002", "RT 001/RW 002"),
    ("1/2", "RT 001/RW 002"),
    ("004/011", "RT 004/RW 011"),
    ("01 / 02", "RT 001/RW 002"),
    ("4-11", "RT 004/RW 011"),
    ("RT 001 RW 002", "RT 001/RW 002"),
    ("RT.01/RW.02", "RT 001/RW 002"),
    ("RT 04 RW 11", "RT 004/RW 011"),
    ("rt 4 / rw 11", "RT 004/RW 011"),
    ("RT04/RW11", "RT 004/RW 011"),
    ("RT/RW 004/011", "RT 004/RW 011"),
    ("RT/RW: 4/11", "RT 004/RW 011"),
    ("RT 04/11", "RT 004/RW 011"),
    ("RT 4", "RT 004"),
    ("RW 11", "RW 011"),
    ("０４／１１", "RT 004/RW 011"),
])
def test_clean_rt_rw_forms(value, expected):
    assert format_rt_rw(clean_rt_rw(value)) == expected


@pytest.mark.parametrize("value, expected", [
    (4, (4, None)),
    (4.0, (4, None)),
    ("004", (4, None)),
    ("RT 04", (4, None)),
    ("No. RT 4", (4, None)),
])
def test_clean_rt_number(value, expected):
    assert clean_rt(value) == expected


def test_clean_rw_number():
    assert clean_rw(11) == (None, 11)
    assert clean_rw("RW.011") == (None, 11)


@pytest.mark.parametrize("value", [
    datetime.datetime(2024, 4, 11),
    datetime.date(2024, 11, 4),
    "2024-04-11",
    "11-Apr",
    "Apr-11",
    "04/11/2024",
])
def test_clean_rt_rw_date_rejected(value):
    with pytest.raises(CellError) as caught:
        clean_rt_rw(value)

    assert caught.value.code == "rt_rw_date"


@pytest.mark.parametrize("value", ["4", 4, 4.11, "4.11", "0/1", "1000/2", "Blok C", "RT", "12/3/4"])
def test_clean_rt_rw_invalid(value):
    with pytest.raises(CellError) as caught:
        clean_rt_rw(value)

    assert caught.value.code == "rt_rw_invalid"


@pytest.mark.parametrize("value", ["0", 1000, 4.5, "a", "4/11", True])
def test_clean_rt_number_invalid(value):
    with pytest.raises(CellError) as caught:
        clean_rt(value)

    assert caught.value.code == "rt_rw_number_invalid"


# ---------------------------------------------------------------------------
# Saving


def test_rt_rw_column_added_to_address(catalogue, admin_user, tmp_path):
    save(tmp_path / "rtrw.xlsx", [
        ["ID Pelanggan", "Nama", "Alamat", "RT/RW"],
        ["PLG-3001", "Ani", "Perum Griya Asri Blok C2/14", "004/011"],
        ["PLG-3002", "Bayu", "Jl. Mawar No. 5, Pabuaran, Cibinong", "RT.01/RW.02"],
        ["PLG-3003", "Cici", "Jl. Mawar 7 Kel. Pabuaran Kec. Cibinong", "1/2"],
        ["PLG-3004", "Dodi", "Pakansari, Cibinong", "RT 4 RW 11"],
        ["PLG-3005", "Eka", "Griya Asri, Pakansari, Cibinong", "4/11"],
    ], admin_user)

    customers = {
        customer.number: (customer.address, customer.street, customer.village_id)
        for customer in Customer.objects.all()
    }
    assert customers == {
        "PLG-3001": ("Perum Griya Asri Blok C2/14 RT 004/RW 011", "Perum Griya Asri Blok C2/14 RT 004/RW 011", None),
        "PLG-3002": (
            "Jl. Mawar No. 5 RT 001/RW 002, Pabuaran, Cibinong",
            "Jl. Mawar No. 5 RT 001/RW 002",
            "32.01.01.1012",
        ),
        "PLG-3003": (
            "Jl. Mawar 7 RT 001/RW 002 Kel. Pabuaran Kec. Cibinong",
            "Jl. Mawar 7 RT 001/RW 002",
            "32.01.01.1012",
        ),
        "PLG-3004": ("RT 004/RW 011, Pakansari, Cibinong", "RT 004/RW 011", "32.01.01.1007"),
        # The region matcher reads "Griya Asri" as the street line, though it has no street word.
        "PLG-3005": ("Griya Asri RT 004/RW 011, Pakansari, Cibinong", "Griya Asri RT 004/RW 011", "32.01.01.1007"),
    }


def test_rt_and_rw_columns_added(catalogue, admin_user, tmp_path):
    save(tmp_path / "rt-rw.xlsx", [
        ["Nama", "Alamat", "No RT", "No RW"],
        ["Ani", "Jl. Mawar 1, Pabuaran, Cibinong", 4, "011"],
        ["Bayu", "Jl. Mawar 2", "RT 3", None],
        ["Cici", None, 5, 6],
    ], admin_user)

    customers = {customer.name: (customer.address, customer.street) for customer in Customer.objects.all()}
    assert customers == {
        "Ani": ("Jl. Mawar 1 RT 004/RW 011, Pabuaran, Cibinong", "Jl. Mawar 1 RT 004/RW 011"),
        "Bayu": ("Jl. Mawar 2 RT 003", "Jl. Mawar 2 RT 003"),
        "Cici": ("", "RT 005/RW 006"),
    }


def test_address_with_same_rt_rw_unchanged(catalogue, admin_user, tmp_path):
    batch = save(tmp_path / "sama.xlsx", [
        ["Nama", "Alamat", "RT/RW"],
        ["Ani", "Jl. Mawar 1 RT 04/RW 11, Pabuaran, Cibinong", "004/011"],
    ], admin_user)

    assert [column["field"] for column in batch.summary["columns"]] == ["name", "address", "rt_rw"]
    customers = {customer.name: (customer.address, customer.street) for customer in Customer.objects.all()}
    assert customers == {
        "Ani": ("Jl. Mawar 1 RT 04/RW 11, Pabuaran, Cibinong", "Jl. Mawar 1 RT 04/RW 11"),
    }
    assert notes(batch) == []


def test_unlabelled_pair_not_taken_for_rt_rw(catalogue, admin_user, tmp_path):
    """A house number such as "No. 4/11" is not the Alamat's RT/RW, even
    with the numbers of the RT/RW column: only "RT" and "RW" mark one."""
    batch = save(tmp_path / "nomor.xlsx", [
        ["Nama", "Alamat", "RT/RW"],
        ["Ani", "Jl. Melati No. 4/11, Pabuaran, Cibinong", "4/11"],
        ["Bayu", "Jl. Mawar 2 004/011, Pabuaran, Cibinong", "004/011"],
        ["Cici", "Jl. Melati No. 4/11 RT 4, Pabuaran, Cibinong", "4/11"],
        ["Dodi", "Jl. Melati No. 4/11 RT 01/RW 02, Pabuaran, Cibinong", "4/11"],
    ], admin_user)

    customers = {customer.name: (customer.address, customer.street) for customer in Customer.objects.all()}
    assert customers == {
        "Ani": ("Jl. Melati No. 4/11 RT 004/RW 011, Pabuaran, Cibinong", "Jl. Melati No. 4/11 RT 004/RW 011"),
        "Bayu": ("Jl. Mawar 2 004/011 RT 004/RW 011, Pabuaran, Cibinong", "Jl. Mawar 2 004/011 RT 004/RW 011"),
        "Cici": ("Jl. Melati No. 4/11 RT 004/RW 011, Pabuaran, Cibinong", "Jl. Melati No. 4/11 RT 004/RW 011"),
        "Dodi": ("Jl. Melati No. 4/11 RT 01/RW 02, Pabuaran, Cibinong", "Jl. Melati No. 4/11 RT 01/RW 02"),
    }
    assert notes(batch) == [(5, "RT/RW", "4/11", "rt_rw_other_in_address")]
    assert english_messages(batch) == [
        "Row 5, column RT/RW: RT/RW “4/11” was not added to the address, because the Alamat already "
        "contains “RT 01/RW 02”. The Alamat's RT/RW was kept. If the RT/RW column is right, correct it "
        "on the customer's page."
    ]


def test_address_with_other_rt_rw_kept(catalogue, admin_user, tmp_path):
    batch = save(tmp_path / "beda.xlsx", [
        ["Nama", "Alamat", "RT/RW"],
        ["Ani", "Jl. Mawar 1 RT 01/RW 02, Pabuaran, Cibinong", "004/011"],
    ], admin_user)

    customer = Customer.objects.get()
    assert customer.address == "Jl. Mawar 1 RT 01/RW 02, Pabuaran, Cibinong"
    assert customer.street == "Jl. Mawar 1 RT 01/RW 02"
    assert customer.village_id == "32.01.01.1012"
    assert notes(batch) == [(2, "RT/RW", "004/011", "rt_rw_other_in_address")]
    assert english_messages(batch) == [
        "Row 2, column RT/RW: RT/RW “004/011” was not added to the address, because the Alamat already "
        "contains “RT 01/RW 02”. The Alamat's RT/RW was kept. If the RT/RW column is right, correct it "
        "on the customer's page."
    ]


def test_rt_rw_date_cell_noted(catalogue, admin_user, tmp_path):
    batch = save(tmp_path / "tanggal.xlsx", [
        ["Nama", "Alamat", "RT/RW"],
        ["Ani", "Jl. Mawar 1", datetime.datetime(2024, 4, 11)],
        ["Bayu", "Jl. Mawar 2", "11-Apr"],
    ], admin_user)

    assert dict(Customer.objects.values_list("name", "address")) == {"Ani": "Jl. Mawar 1", "Bayu": "Jl. Mawar 2"}
    assert notes(batch) == [(2, "RT/RW", "2024-04-11", "rt_rw_date"), (3, "RT/RW", "11-Apr", "rt_rw_date")]
    assert english_messages(batch)[0] == (
        "Row 2, column RT/RW: “2024-04-11” is a date because Excel changed the RT/RW typed in the cell "
        "into one, so it was not added to the address. Format the column as Text, type the RT/RW again "
        "like 004/011 and upload the file again, or fill it in on the customer's page."
    )


def test_invalid_rt_rw_noted(catalogue, admin_user, tmp_path):
    batch = save(tmp_path / "salah.xlsx", [
        ["Nama", "Alamat", "RT / RW", "RT", "RW"],
        ["Ani", "Jl. Mawar 1", "Blok C", None, None],
    ], admin_user)

    assert Customer.objects.get().address == "Jl. Mawar 1"
    assert notes(batch) == [(2, "RT / RW", "Blok C", "rt_rw_invalid")]
    assert english_messages(batch) == [
        "Row 2, column RT / RW: “Blok C” is not an RT/RW, so it was not added to the address. "
        "Write it like 004/011 or RT 004/RW 011, or fill it in on the customer's page."
    ]


def test_invalid_rt_number_noted(catalogue, admin_user, tmp_path):
    batch = save(tmp_path / "salah-rt.xlsx", [
        ["Nama", "Alamat", "RT", "RW"],
        ["Ani", "Jl. Mawar 1", "0", 11],
    ], admin_user)

    assert Customer.objects.get().address == "Jl. Mawar 1 RW 011"
    assert notes(batch) == [(2, "RT", "0", "rt_rw_number_invalid")]
    assert english_messages(batch) == [
        "Row 2, column RT: “0” is not an RT or RW number, so it was not added to the address. "
        "Write a number from 1 to 999, like 004, or fill it in on the customer's page."
    ]


def test_rt_rw_left_out_of_long_address(catalogue, admin_user, tmp_path):
    address = "Jl. Mawar " + "a" * 485
    batch = save(tmp_path / "panjang.xlsx", [
        ["Nama", "Alamat", "RT", "RW"],
        ["Ani", address, 4, 11],
    ], admin_user)

    assert Customer.objects.get().address == address
    assert notes(batch) == [(2, "RT, RW", "4/11", "rt_rw_address_too_long")]
    assert english_messages(batch) == [
        "Row 2, column RT, RW: RT/RW “4/11” was not added to the address, which would then be longer "
        "than 500 characters. Add it on the customer's page."
    ]


def test_rt_rw_formula_without_result_noted(catalogue, admin_user, tmp_path):
    batch = save(tmp_path / "rumus.xlsx", [
        ["Nama", "Alamat", "RT/RW"],
        ["Ani", "Jl. Mawar 1", "=B2"],
    ], admin_user)

    assert Customer.objects.get().address == "Jl. Mawar 1"
    assert notes(batch) == [(2, "RT/RW", "", "rt_rw_formula_left_out")]


def test_headerless_column_mapped_to_rt_rw(catalogue, admin_client, tmp_path):
    # "Alamat" merged over two columns leaves the RT/RW column without a header.
    rows = [
        ["Nama", "Alamat", None, "Paket"],
        ["Ani", "Perum Griya Asri Blok C2/14", "004/011", "H10"],
        ["Bayu", "Jl. Mawar No. 5, Pabuaran, Cibinong", "RT 01 RW 02", "H10"],
    ]
    with open(write_workbook(tmp_path / "gabung.xlsx", rows), "rb") as handle:
        admin_client.post(reverse("customers:upload"), {"file": handle, "mode": "create"})
    batch = ImportBatch.objects.get()
    admin_client.cookies["django_language"] = "en"
    page = admin_client.get(reverse("customers:batch-detail", args=[batch.pk])).content.decode()
    assert 'name="column_2"' in page
    assert '<option value="rt_rw">RT/RW</option>' in page

    response = admin_client.post(reverse("customers:batch-columns", args=[batch.pk]), {"column_2": "rt_rw"})

    assert response.status_code == 302
    batch.refresh_from_db()
    assert batch.column_map == {"2": "rt_rw"}
    admin_client.post(reverse("customers:batch-confirm", args=[batch.pk]))
    customers = {
        customer.name: (customer.address, customer.street, customer.village_id)
        for customer in Customer.objects.all()
    }
    assert customers == {
        "Ani": ("Perum Griya Asri Blok C2/14 RT 004/RW 011", "Perum Griya Asri Blok C2/14 RT 004/RW 011", None),
        "Bayu": (
            "Jl. Mawar No. 5 RT 001/RW 002, Pabuaran, Cibinong",
            "Jl. Mawar No. 5 RT 001/RW 002",
            "32.01.01.1012",
        ),
    }


def test_template_instructions_mention_rt_rw(admin_client, sample_catalogue):
    admin_client.cookies["django_language"] = "en"

    workbook = load_workbook(io.BytesIO(admin_client.get(reverse("customers:template")).content))

    lines = [row[0] for row in workbook["Petunjuk"].iter_rows(values_only=True)]
    assert lines[11] == (
        "10. RT/RW: write it in the Alamat, like Jl. Mawar No. 5 RT 004/RW 011, or add a column named RT/RW "
        "(or two columns, RT and RW). Format that column as Text, because Excel turns 4/11 into a date."
    )


# ---------------------------------------------------------------------------
# Update mode


@pytest.fixture
def stored(catalogue):
    sites, packages = catalogue
    return Customer.objects.create(
        number="PLG-0021", name="Agus Wibowo", site=sites["CBN"], package=packages["H10"],
        address="Jl. Mawar 1 RT 004/RW 011, Pabuaran, Cibinong", street="Jl. Mawar 1 RT 004/RW 011",
        village_id="32.01.01.1012",
    )


def test_update_same_rt_rw_changes_nothing(stored, admin_user, tmp_path):
    batch = validate(tmp_path / "sama.xlsx", [
        ["ID Pelanggan", "Alamat", "RT/RW"],
        ["PLG-0021", "Jl. Mawar 1, Pabuaran, Cibinong", "004/011"],
    ], admin_user, ImportBatch.Mode.UPDATE)
    only_rt_rw = validate(tmp_path / "rtrw.xlsx", [
        ["ID Pelanggan", "RT/RW"],
        ["PLG-0021", "4/11"],
    ], admin_user, ImportBatch.Mode.UPDATE)

    for checked in (batch, only_rt_rw):
        assert checked.summary["counts"]["update"] == 0
        assert [(problem.kind, problem.code) for problem in checked.problems.all()] == [("duplicate", "no_changes")]


def test_update_rt_rw_column_replaces_stored(stored, admin_user, tmp_path):
    save(tmp_path / "rtrw.xlsx", [
        ["ID Pelanggan", "RT", "RW"],
        ["PLG-0021", "5", "12"],
    ], admin_user, ImportBatch.Mode.UPDATE)

    stored.refresh_from_db()
    assert stored.street == "Jl. Mawar 1 RT 005/RW 012"
    assert stored.address == "Jl. Mawar 1 RT 005/RW 012, Pabuaran, Cibinong"
    assert stored.village_id == "32.01.01.1012"
    changes = sorted(ImportChange.objects.values_list("field", "old_value", "new_value"))
    assert changes == [
        ("address", "Jl. Mawar 1 RT 004/RW 011, Pabuaran, Cibinong", "Jl. Mawar 1 RT 005/RW 012, Pabuaran, Cibinong"),
        ("street", "Jl. Mawar 1 RT 004/RW 011", "Jl. Mawar 1 RT 005/RW 012"),
    ]


def test_update_rt_rw_added_to_alamat(stored, admin_user, tmp_path):
    stored.address, stored.street = "Jl. Mawar 1, Pabuaran, Cibinong", "Jl. Mawar 1"
    stored.save()

    save(tmp_path / "rtrw.xlsx", [
        ["ID Pelanggan", "Alamat", "RT/RW"],
        ["PLG-0021", "Jl. Mawar 1, Pabuaran, Cibinong", "004/011"],
    ], admin_user, ImportBatch.Mode.UPDATE)

    stored.refresh_from_db()
    assert stored.address == "Jl. Mawar 1 RT 004/RW 011, Pabuaran, Cibinong"
    assert stored.street == "Jl. Mawar 1 RT 004/RW 011"
    assert stored.village_id == "32.01.01.1012"


def test_update_house_number_gets_rt_rw(stored, admin_user, tmp_path):
    stored.address, stored.street = "Jl. Melati No. 4/11, Pabuaran, Cibinong", "Jl. Melati No. 4/11"
    stored.save()

    save(tmp_path / "rtrw.xlsx", [["ID Pelanggan", "RT/RW"], ["PLG-0021", "4/11"]], admin_user, ImportBatch.Mode.UPDATE)

    stored.refresh_from_db()
    assert stored.street == "Jl. Melati No. 4/11 RT 004/RW 011"
    assert stored.address == "Jl. Melati No. 4/11 RT 004/RW 011, Pabuaran, Cibinong"


@pytest.mark.parametrize("header, value, expected_street", [
    ("RT", "5", "Jl. Mawar 1 RT 005/RW 011"),
    ("RW", "12", "Jl. Mawar 1 RT 004/RW 012"),
])
def test_update_one_number_keeps_other(stored, admin_user, tmp_path, header, value, expected_street):
    save(tmp_path / "rt.xlsx", [["ID Pelanggan", header], ["PLG-0021", value]], admin_user, ImportBatch.Mode.UPDATE)

    stored.refresh_from_db()
    assert stored.street == expected_street
    assert stored.address == f"{expected_street}, Pabuaran, Cibinong"


@pytest.mark.parametrize("header, value", [("RT", "4"), ("RT", "RT 04"), ("RW", "11")])
def test_update_same_single_number_changes_nothing(stored, admin_user, tmp_path, header, value):
    batch = validate(tmp_path / "rt.xlsx", [["ID Pelanggan", header], ["PLG-0021", value]], admin_user, ImportBatch.Mode.UPDATE)

    assert batch.summary["counts"]["update"] == 0
    assert [(problem.kind, problem.code) for problem in batch.problems.all()] == [("duplicate", "no_changes")]


def test_address_rt_rw_completed_by_column(catalogue, admin_user, tmp_path):
    """An Alamat with part of the RT/RW is completed by the column, and a
    column that repeats part of the Alamat's RT/RW adds nothing."""
    batch = save(tmp_path / "lengkap.xlsx", [
        ["Nama", "Alamat", "RT/RW"],
        ["Ani", "Jl. Mawar 1 RT 4, Pabuaran, Cibinong", "004/011"],
        ["Bayu", "Jl. Mawar 2 RT 004/RW 011, Pabuaran, Cibinong", "RT 04"],
    ], admin_user)

    customers = {customer.name: customer.address for customer in Customer.objects.all()}
    assert customers == {
        "Ani": "Jl. Mawar 1 RT 004/RW 011, Pabuaran, Cibinong",
        "Bayu": "Jl. Mawar 2 RT 004/RW 011, Pabuaran, Cibinong",
    }
    assert notes(batch) == []
