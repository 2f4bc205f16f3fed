"""The bulk change history in a real browser: its table cells line up."""

import pytest

from customers.bulk import customers_bulk_update
from customers.models import Customer
from tests.browser import browser_page, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "rahasia-admin-123"

# The left edge, width and height of each cell of the table's first row and
# of its header, in CSS pixels.
CELL_BOXES = """() => {
  const box = (cell) => {
    const rect = cell.getBoundingClientRect();
    return [Math.round(rect.left), Math.round(rect.width), Math.round(rect.height)];
  };
  const table = document.getElementById("bulk-changes");
  return {
    header: Array.from(table.querySelectorAll("thead th"), box),
    row: Array.from(table.querySelectorAll("tbody tr:first-child td"), box),
  };
}"""


def test_count_cell_lines_up(live_server, sample_catalogue, django_user_model):
    """The count of customers changed sits in its column like the other
    cells, not as a badge that leaves its cell."""
    sites, packages = sample_catalogue
    admin = django_user_model.objects.create_user(username="admin", password=PASSWORD, is_staff=True, is_superuser=True)
    for index in range(1, 4):
        Customer.objects.create(number=f"PLG-000{index}", name=f"Pelanggan {index}", site=sites["CBN"])
    customers_bulk_update(Customer.objects.all(), {"package_id": packages["H20"].pk}, user=admin)

    with browser_page(live_server.url) as page:
        log_in(page, live_server.url, "admin", PASSWORD)
        page.goto(f"{live_server.url}/customers/bulk/changes/")
        boxes = page.evaluate(CELL_BOXES)
        count = page.inner_text("#bulk-changes tbody tr:first-child td:nth-child(4)")

    assert count == "3"
    assert len(boxes["row"]) == len(boxes["header"]) == 6
    for column, (cell, header) in enumerate(zip(boxes["row"], boxes["header"]), start=1):
        assert cell[:2] == header[:2], f"column {column}"
    assert len({height for _left, _width, height in boxes["row"]}) == 1
