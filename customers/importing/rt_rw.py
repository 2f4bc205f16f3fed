"""Write a row's RT/RW columns into its Alamat and street line.

The RT/RW is written as the KTP and the customer form's example write it,
"RT 004/RW 011", at the end of the street line read from the Alamat:
"Perum Griya Asri Blok C2/14, Sukahati" becomes "Perum Griya Asri Blok
C2/14 RT 004/RW 011, Sukahati", the Alamat an admin would have typed. The
village is matched from the Alamat before the RT/RW is added, so the RT/RW
cannot change which village is found.
"""

from .cleaners import LABELLED_RT_RW, labelled_rt_rw_numbers


def format_rt_rw(numbers):
    """Return (RT, RW) numbers as "RT 004/RW 011", or "RT 004" or "RW 011"
    when one of them is None."""
    rt, rw = numbers
    parts = []
    if rt is not None:
        parts.append(f"RT {rt:03d}")
    if rw is not None:
        parts.append(f"RW {rw:03d}")
    return "/".join(parts)


def find_rt_rw(text):
    """Return ((RT, RW), match) of the first RT/RW that `text` writes with
    its label ("RT 4 RW 11", "RT/RW 004/011", "RT 4"), or None.

    An unlabelled pair such as "4/11" is not taken for an RT/RW, even when
    its numbers are those of the RT/RW column, because house numbers are
    written like that too ("Jl. Melati No. 4/11").
    """
    match = LABELLED_RT_RW.search(text)
    if match is None:
        return None
    return labelled_rt_rw_numbers(match), match


def merge_rt_rw(found, numbers):
    """Return the (RT, RW) of `found` with each number that `numbers` gives
    put in its place: a row with only an RT column keeps the stored RW."""
    return tuple(old if new is None else new for old, new in zip(found, numbers))


def rt_rw_conflict(found, numbers):
    """Return whether `numbers` and `found` give two different RTs or two different RWs."""
    return any(old is not None and new is not None and old != new for old, new in zip(found, numbers))


def add_to_address(address, street, numbers):
    """Return (address, street) with the RT/RW added at the end of the
    street line.

    `street` is the street line read from the start of `address` (see
    RegionResolver.resolve), "" when the Alamat starts with its village.
    """
    text = format_rt_rw(numbers)
    if not street:
        return f"{text}, {address}", text
    return f"{street} {text}{address[len(street) :]}", f"{street} {text}"


def replace_in_street(street, numbers):
    """Return a street line with its RT/RW replaced by `numbers`, or with
    them added at its end when it has none. A number that `numbers` leaves
    out (None) keeps the line's own, so "RT 004/RW 011" with an RT of 5
    becomes "RT 005/RW 011"."""
    found = find_rt_rw(street)
    if found is None:
        text = format_rt_rw(numbers)
        return f"{street} {text}" if street else text
    found_numbers, match = found
    merged = merge_rt_rw(found_numbers, numbers)
    if merged == found_numbers:
        return street
    return street[: match.start()] + format_rt_rw(merged) + street[match.end() :]


def replace_in_address(address, street, numbers):
    """Return a stored Alamat with its RT/RW replaced by `numbers`.

    An Alamat without an RT/RW gets them after `street`, its stored street
    line, when it starts with it. Otherwise it is returned unchanged,
    because without the region matcher it is unknown where its street line
    ends.
    """
    if find_rt_rw(address) is not None:
        return replace_in_street(address, numbers)
    if street and address.startswith(street):
        return add_to_address(address, street, numbers)[0]
    return address
