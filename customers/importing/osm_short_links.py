"""Decode the codes of OpenStreetMap short links (https://osm.org/go/<code>).

A code is a Morton code of the point: each character carries three bits of
the longitude and three of the latitude, interleaved, most significant
first. Each trailing "-" lowers the zoom, which sets only the map scale.
The format is that of ShortLink in openstreetmap-website (lib/short_link.rb).
"""

import re

ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_~"
# Older links used "@" where the alphabet now has "~". Eleven characters
# carry 33 bits, one more than the 32-bit grid, and zoom 22 needs only ten.
_CODE = re.compile(r"([A-Za-z0-9_~@]{1,11})(-{0,2})")
_GRID_BITS = 32


def osm_short_code_decode(code):
    """Return (latitude, longitude, zoom) of a short link code such as "tZ76yBAYn-".

    The point is the south-west corner of the code's grid cell, as
    OpenStreetMap decodes it, and its floats are exact. Raises ValueError
    for text that is not a code.
    """
    match = _CODE.fullmatch(code)
    if match is None:
        raise ValueError(f"{code!r} is not an OpenStreetMap short link code")
    characters, dashes = match[1].replace("@", "~"), match[2]

    x = y = 0
    for character in characters:
        value = ALPHABET.index(character)
        # Bits 5, 3 and 1 belong to the longitude, bits 4, 2 and 0 to the latitude.
        for shift in (5, 3, 1):
            x = (x << 1) | ((value >> shift) & 1)
            y = (y << 1) | ((value >> (shift - 1)) & 1)

    bits = 3 * len(characters)
    if bits <= _GRID_BITS:
        x <<= _GRID_BITS - bits
        y <<= _GRID_BITS - bits
    else:
        x >>= bits - _GRID_BITS
        y >>= bits - _GRID_BITS

    longitude = x * 360.0 / 2**_GRID_BITS - 180.0
    latitude = y * 180.0 / 2**_GRID_BITS - 90.0
    # One "-" takes 2 from the zoom and two take 1, as (-dashes) % 3 gives.
    zoom = bits - 8 - (-len(dashes)) % 3
    return latitude, longitude, zoom
