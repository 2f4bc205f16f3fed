"""Reader for CSV files: encoding and delimiter detection, then csv.reader.

Encoding rule, in order:

1. A byte-order mark decides: UTF-32 (LE or BE), UTF-8, UTF-16 (LE or BE).
2. Without one, a file that is valid UTF-8 throughout is UTF-8.
3. A file with a UTF-8 byte-order mark, or whose bytes beyond ASCII are
   mostly valid multi-byte UTF-8 sequences, but which also has bytes that
   are not valid UTF-8, is rejected (CSV_MIXED_ENCODING), because either
   decoding would garble some of its text. In a file of another encoding
   such sequences occur only by chance, among many more bytes that are
   not UTF-8.
4. Anything else is Windows-1252, the encoding of Excel's "CSV (Comma
   delimited)" on Windows in Indonesian and Western locales; its five
   unassigned bytes become U+FFFD.

A fixed rule is used instead of a statistical detector such as
charset-normalizer, so the same bytes always decode the same way and the
rule can be explained to an admin. Text in other legacy encodings (Big5,
ISO-8859-7) comes out garbled, so its headers are not recognised and the
file is rejected as having none.

The delimiter is ",", ";", tab or "|": the one that makes the first rows name the
most customer columns, ties going to the one used most in those rows. An
Excel "sep=;" first line sets the delimiter and is not counted as a row.
Every cell is text, because CSV has no number cells, and an empty field is None.
"""

import codecs
import csv
import io
import itertools
import re

from django.utils.translation import gettext_lazy as _

from customers.importing.gate import CSV_NUL
from customers.importing.headers import header_score
from customers.importing.problems import MESSAGE_VALUE_LENGTH, FileRejected, register_file_message
from customers.importing.readers.base import SheetInfo, SheetRow, column_letter

# Replaced by CSV_ROW_UNREADABLE, and kept for the message of batches that failed with it.
CSV_INVALID = register_file_message(
    "csv_invalid",
    _(
        "The CSV file could not be read at line %(line)s: a field is too long or a quotation mark "
        "is not closed. Check that line, save the file again and upload it."
    ),
)
CSV_ROW_UNREADABLE = register_file_message(
    "csv_row_unreadable",
    _(
        "Row %(row)s of the CSV file (line %(line)s in a text editor) could not be read: a field is longer "
        "than %(limit)s characters or a quotation mark is not closed. Check that row, save the file "
        "again and upload it."
    ),
)
CSV_QUOTE_UNCLOSED = register_file_message(
    "csv_quote_unclosed",
    _(
        "Row %(row)s of the CSV file (line %(line)s in a text editor, column %(column)s) has a quotation "
        "mark that is not closed, so the value starting “%(value)s” runs on over the rows below it. Open "
        "the file in Excel or a text editor, close or remove that quotation mark, save the file and "
        "upload it again."
    ),
)
CSV_MIXED_ENCODING = register_file_message(
    "csv_mixed_encoding",
    _(
        "Line %(line)s of the CSV file (in a text editor) has a character that is not valid UTF-8 "
        "(“%(value)s”), but the rest of the file is UTF-8. Read either way, some names would be garbled, "
        "so nothing was imported. Open the file in Excel, correct that line, save it with Save As as "
        "“CSV UTF-8 (Comma delimited) (*.csv)” and upload it again."
    ),
)

DELIMITERS = (",", ";", "\t", "|")
# Characters of decoded text read to choose the delimiter.
SNIFF_CHARACTERS = 64 * 1024
SNIFF_ROWS = 30
SEPARATOR_LINE = re.compile(r"^sep=(.)\s*$")
READ_CHUNK = 1024 * 1024
LINE_BREAK = re.compile(r"\r\n|\r|\n")

BYTE_ORDER_MARKS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# The bytes of ASCII, deleted to count the others.
ASCII_BYTES = bytes(range(0x80))
# A well-formed UTF-8 sequence of two to four bytes. Windows-1252 text
# contains one only where a letter such as "Ã" precedes a symbol such as
# "©", and UTF-8 text with any character beyond ASCII contains one.
UTF8_MULTIBYTE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|\xe0[\xa0-\xbf][\x80-\xbf]|[\xe1-\xec\xee\xef][\x80-\xbf]{2}"
    rb"|\xed[\x80-\x9f][\x80-\xbf]|\xf0[\x90-\xbf][\x80-\xbf]{2}|[\xf1-\xf3][\x80-\xbf]{3}"
    rb"|\xf4[\x80-\x8f][\x80-\xbf]{2}"
)


def detect_encoding(path):
    """Return the codec of a CSV file by the rule in the module docstring.

    Raises FileRejected("csv_nul") when the text contains a NUL character.
    """
    with open(path, "rb") as handle:
        head = handle.read(4)
        handle.seek(0)
        for mark, codec in BYTE_ORDER_MARKS:
            if head.startswith(mark):
                decoder = codecs.getincrementaldecoder(codec)(errors="replace")
                for chunk in iter(lambda: handle.read(READ_CHUNK), b""):
                    if "\x00" in decoder.decode(chunk):
                        raise FileRejected(CSV_NUL)
                if codec == "utf-8-sig":
                    _reject_invalid_utf8(path, len(mark))
                return codec

        decoder = codecs.getincrementaldecoder("utf-8")()
        valid_utf8 = True
        for chunk in iter(lambda: handle.read(READ_CHUNK), b""):
            if b"\x00" in chunk:
                raise FileRejected(CSV_NUL)
            if valid_utf8:
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError:
                    valid_utf8 = False
        if valid_utf8:
            try:
                decoder.decode(b"", final=True)
            except UnicodeDecodeError:
                valid_utf8 = False
    if valid_utf8:
        return "utf-8"
    if _mostly_utf8(path):
        _reject_invalid_utf8(path)
    return "cp1252"


def _mostly_utf8(path):
    """Return whether more than half of the file's bytes beyond ASCII are in
    valid multi-byte UTF-8 sequences. A sequence split between two chunks
    is not counted, which only lowers the share a little."""
    in_sequences = beyond_ascii = 0
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(READ_CHUNK), b""):
            beyond_ascii += len(chunk.translate(None, ASCII_BYTES))
            in_sequences += sum(len(sequence) for sequence in UTF8_MULTIBYTE.findall(chunk))
    return in_sequences * 2 > beyond_ascii


def _reject_invalid_utf8(path, start=0):
    """Raise FileRejected(CSV_MIXED_ENCODING) naming the line of the first
    byte from offset `start` on that is not valid UTF-8, if there is one."""
    with open(path, "rb") as handle:
        handle.seek(start)
        offset, pending = start, b""
        for chunk in iter(lambda: handle.read(READ_CHUNK), b""):
            data = pending + chunk
            try:
                _text, consumed = codecs.utf_8_decode(data, "strict", False)
            except UnicodeDecodeError as error:
                bad_offset = offset + error.start
                break
            offset += consumed
            pending = data[consumed:]
        else:
            if not pending:
                return
            # The file ends inside a multi-byte sequence.
            bad_offset = offset
        handle.seek(start)
        before = handle.read(bad_offset - start).decode("utf-8")
        rest = handle.read(MESSAGE_VALUE_LENGTH * 4).decode("utf-8", errors="replace")
    lines_before = LINE_BREAK.split(before)
    value = lines_before[-1] + LINE_BREAK.split(rest, 1)[0]
    if len(value) > MESSAGE_VALUE_LENGTH:
        value = value[: MESSAGE_VALUE_LENGTH - 1] + "…"
    raise FileRejected(CSV_MIXED_ENCODING, line=len(lines_before), value=value)


class CsvSource:
    """A CSV file read as a single sheet."""

    date1904 = False

    def __init__(self, path, max_columns, sheet_name):
        self.max_columns = max_columns
        self._path = path
        self.encoding = detect_encoding(path)
        self.sheets = [SheetInfo(name=sheet_name, visible=True)]
        self.delimiter, self._skip_separator_line = self._choose_delimiter()

    def close(self):
        pass

    def _open_text(self):
        # newline="" lets the csv module see line breaks inside quoted fields.
        return open(self._path, encoding=self.encoding, errors="replace", newline="")

    def _choose_delimiter(self):
        with self._open_text() as handle:
            sample = handle.read(SNIFF_CHARACTERS)
        first_line = sample.split("\n", 1)[0].split("\r", 1)[0]
        separator = SEPARATOR_LINE.match(first_line)
        if separator:
            return separator.group(1), True

        lines = sample.splitlines()[:SNIFF_ROWS]
        best = None
        for delimiter in DELIMITERS:
            score = 0
            try:
                for record in itertools.islice(csv.reader(io.StringIO(sample), delimiter=delimiter), SNIFF_ROWS):
                    score = max(score, header_score(record))
            except csv.Error:
                # A sample cut inside a huge quoted field; score what was read.
                pass
            uses = sum(line.count(delimiter) for line in lines)
            key = (score, uses)
            if best is None or key > best[0]:
                best = key, delimiter
        return best[1], False

    def iter_rows(self, sheet_index, last_row=None):
        """Yield a SheetRow per record that has a non-empty field; rows count records from 1.

        Reading stops after record `last_row`, when given. Raises
        FileRejected("csv_quote_unclosed") for a quoted field that is still
        open at the end of the file or that runs over lines shaped like rows.
        """
        max_columns = self.max_columns
        with self._open_text() as handle:
            first_line = 1
            if self._skip_separator_line:
                handle.readline()
                first_line = 2
            lines = _LineSource(handle)
            reader = csv.reader(lines, delimiter=self.delimiter)
            number = 0
            # Maximum field count of the records read so far, which is at least
            # the header's width once the header row has been read.
            width = 0
            record_line = first_line
            try:
                for record in reader:
                    number += 1
                    if last_row is not None and number > last_row:
                        return
                    if lines.ended or reader.line_num + first_line - 1 > record_line:
                        self._check_quotes(record, number, record_line, width, at_end=lines.ended)
                    record_line = reader.line_num + first_line
                    width = max(width, len(record))
                    overflow = None
                    if len(record) > max_columns:
                        for column in range(max_columns, len(record)):
                            if record[column]:
                                overflow = column
                                break
                        record = record[:max_columns]
                    cells = [field or None for field in record]
                    while cells and cells[-1] is None:
                        cells.pop()
                    if cells or overflow is not None:
                        yield SheetRow(number, cells, False, overflow)
            except csv.Error:
                # reader.line_num is where the reader stopped, such as where an
                # unclosed quote reached the field size limit, so the message
                # names the line where the unreadable record started.
                raise FileRejected(
                    CSV_ROW_UNREADABLE, row=number + 1, line=record_line, limit=csv.field_size_limit()
                ) from None

    def _check_quotes(self, record, number, record_line, width, at_end):
        """Reject a record whose quoted field swallowed the lines after it.

        csv.reader ends a field left open at the end of the file without an
        error, and so returns the rest of the file as one value. A field that
        contains a line with at least `width - 1` delimiters contains what
        looks like a whole row, so its quote is taken as unclosed too.
        """
        line = record_line
        for index, field in enumerate(record):
            breaks = LINE_BREAK.findall(field)
            if not breaks:
                continue
            rows_inside = width >= 2 and any(
                part.count(self.delimiter) >= width - 1 for part in LINE_BREAK.split(field)[1:]
            )
            # csv.reader ends a record with the file only when a quoted field is still open.
            open_at_end = at_end and index == len(record) - 1
            if rows_inside or open_at_end:
                value = LINE_BREAK.split(field, 1)[0]
                if len(value) > MESSAGE_VALUE_LENGTH:
                    value = value[: MESSAGE_VALUE_LENGTH - 1] + "…"
                raise FileRejected(
                    CSV_QUOTE_UNCLOSED, row=number, line=line, column=column_letter(index), value=value
                )
            line += len(breaks)


class _LineSource:
    """The lines of a text file, for csv.reader, with a flag set once the file has ended."""

    def __init__(self, handle):
        self._handle = handle
        self.ended = False

    def __iter__(self):
        return self

    def __next__(self):
        line = self._handle.readline()
        if not line:
            self.ended = True
            raise StopIteration
        return line
