"""Generated customer numbers for rows without an ID Pelanggan."""

import re

from django.db.models.functions import Length

from customers.models import Customer

PREFIX = "PLG-"
MIN_DIGITS = 4
_PATTERN = re.compile(r"^PLG-(\d+)$")


def next_numbers(count, reserved=()):
    """Return `count` new numbers PLG-0001, PLG-0002, … above the highest
    existing one, skipping numbers in `reserved` (numbers the file itself
    uses). Call inside the import lock so two imports cannot hand out the
    same number."""
    if count == 0:
        return []
    highest = 0
    # Longest first, then the maximum, because "PLG-10000" sorts below "PLG-9999" as text.
    top = (
        Customer.objects.filter(number__regex=r"^PLG-[0-9]+$")
        .order_by(Length("number").desc(), "-number")
        .values_list("number", flat=True)
        .first()
    )
    for number in [*([top] if top else []), *reserved]:
        match = _PATTERN.match(number)
        if match:
            highest = max(highest, int(match.group(1)))
    numbers = []
    value = highest
    while len(numbers) < count:
        value += 1
        number = f"{PREFIX}{value:0{MIN_DIGITS}d}"
        if number not in reserved:
            numbers.append(number)
    return numbers
