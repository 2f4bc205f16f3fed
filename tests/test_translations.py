"""The Indonesian catalogue is complete and compiled, and pages speak it by default."""

import gettext
import subprocess
from pathlib import Path


LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale" / "id" / "LC_MESSAGES"
PO_FILE = LOCALE_DIR / "django.po"
MO_FILE = LOCALE_DIR / "django.mo"

ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}


def unquote(text):
    """Return the value of one quoted .po string such as "a \\"b\\"\\n"."""
    body = text.strip()[1:-1]
    characters = []
    index = 0
    while index < len(body):
        char = body[index]
        if char == "\\" and index + 1 < len(body):
            index += 1
            characters.append(ESCAPES.get(body[index], "\\" + body[index]))
        else:
            characters.append(char)
        index += 1
    return "".join(characters)


def parse_po(text):
    """Return the entries of a .po file as dicts: keyword -> text, plus "flags".

    Keywords are msgctxt, msgid, msgid_plural, msgstr and msgstr[N]. Obsolete
    entries (#~) are left out.
    """
    entries = []
    entry = {"flags": set()}
    keyword = None
    for line in text.splitlines() + [""]:
        if not line.strip():
            if "msgid" in entry:
                entries.append(entry)
            entry = {"flags": set()}
            keyword = None
        elif line.startswith("#,"):
            entry["flags"].update(flag.strip() for flag in line[2:].split(","))
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            entry[keyword] += unquote(line)
        else:
            keyword, _space, value = line.partition(" ")
            entry[keyword] = unquote(value)
    return entries


def po_entries():
    return [entry for entry in parse_po(PO_FILE.read_text(encoding="utf-8")) if entry["msgid"]]


def translations(entry):
    return [value for keyword, value in entry.items() if keyword.startswith("msgstr")]


def test_parse_po_reads_continuation_lines_and_flags():
    text = '#, fuzzy, python-format\nmsgid ""\n"Row %(row)s: a \\"b\\"\\n"\nmsgstr "Baris"\n'

    entries = parse_po(text)

    assert entries == [{"flags": {"fuzzy", "python-format"}, "msgid": 'Row %(row)s: a "b"\n', "msgstr": "Baris"}]


def test_catalogue_is_not_empty():
    assert len(po_entries()) > 100


def test_every_msgid_translated():
    untranslated = [entry["msgid"] for entry in po_entries() if not all(translations(entry))]

    assert untranslated == []


def test_no_fuzzy_entries():
    fuzzy = [entry["msgid"] for entry in po_entries() if "fuzzy" in entry["flags"]]

    assert fuzzy == []


def test_compiled_catalogue_matches_po(tmp_path):
    fresh_mo = tmp_path / "django.mo"
    subprocess.run(["msgfmt", "--check", "-o", str(fresh_mo), str(PO_FILE)], check=True)

    with MO_FILE.open("rb") as committed, fresh_mo.open("rb") as fresh:
        committed_catalogue = gettext.GNUTranslations(committed)._catalog
        fresh_catalogue = gettext.GNUTranslations(fresh)._catalog

    assert committed_catalogue == fresh_catalogue


def test_login_page_in_indonesian_by_default(client, db):
    page = client.get("/login/").content.decode()

    assert '<html lang="id">' in page
    assert "<h1>Masuk</h1>" in page
    assert '<label for="id_username">Nama pengguna</label>' in page
    assert '<label for="id_password">Kata sandi</label>' in page
    assert '<button type="submit" class="primary">Masuk</button>' in page


def test_english_browser_still_gets_indonesian(client, db):
    page = client.get("/login/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()

    assert '<html lang="id">' in page
    assert "<h1>Masuk</h1>" in page


def test_unknown_cookie_language_gets_indonesian(client, db):
    client.cookies["django_language"] = "fr"

    page = client.get("/login/").content.decode()

    assert '<html lang="id">' in page


def test_login_page_in_english_with_cookie(client, db):
    client.cookies["django_language"] = "en"

    page = client.get("/login/").content.decode()

    assert '<html lang="en">' in page
    assert "<h1>Log in</h1>" in page
    assert '<label for="id_username">Username</label>' in page



def test_language_not_varied_by_browser(client, db):
    response = client.get("/login/", HTTP_ACCEPT_LANGUAGE="en")

    assert "Accept-Language" not in response.get("Vary", "")
    assert response["Content-Language"] == "id"
