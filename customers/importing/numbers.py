"""Generated customer numbers for rows without an ID Pelanggan."""

import re

from django.db.models import CharField, Func
from django.db.models.functions import Length

from customers.models import Customer

PREFIX = "PLG-"
MIN_DIGITS = 4
# IDs match in any letter case (an import finds "plg-0007" under "PLG-0007"),
# so "plg-0007" counts as a generated-form number too.
_PATTERN = re.compile(r"^PLG-(\d+)$", re.IGNORECASE)


class _Digits(Func):
    """The digits of a "PLG-…" number without leading zeros (SQLite and PostgreSQL)."""

    template = f"LTRIM(SUBSTR(%(expressions)s, {len(PREFIX) + 1}), '0')"
    output_field = CharField()


def _highest_number(model):
    """Return the generated-form number of `model` with the highest value, or None."""
    # Longest digits first, then the maximum, because "PLG-10000" sorts below
    # "PLG-9999" as text, and leading zeros: "PLG-00009" is below "PLG-0010".
    return (
        model.objects.filter(number__iregex=r"^PLG-[0-9]+$")
        .order_by(Length(_Digits("number")).desc(), _Digits("number").desc())
        .values_list("number", flat=True)
        .first()
    )


def next_numbers(count, reserved=()):
    """Return `count` new numbers PLG-0001, PLG-0002, … above the highest
    number any customer has or ever had, skipping numbers in `reserved`
    (numbers the file itself uses). Letter case is ignored, as it is when an
    import matches IDs. Call inside the import lock so two imports cannot
    hand out the same number.

    The history table keeps the numbers of deleted customers and of
    customers removed by an undone import. Counting them means a number is
    never given to a second customer, because an old export uploaded in
    update mode would then change the wrong one. Two queries, whatever
    `count` is.
    """
    if count == 0:
        return []
    highest = 0
    tops = [_highest_number(Customer), _highest_number(Customer.history.model)]
    for number in [*(top for top in tops if top), *reserved]:
        match = _PATTERN.match(number)
        if match:
            highest = max(highest, int(match.group(1)))
    reserved_upper = {number.upper() for number in reserved}
    numbers = []
    value = highest
    while len(numbers) < count:
        value += 1
        number = f"{PREFIX}{value:0{MIN_DIGITS}d}"
        if number not in reserved_upper:
            numbers.append(number)
    return numbers
