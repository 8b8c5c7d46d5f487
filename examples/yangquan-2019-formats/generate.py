#!/usr/bin/env python3
"""Writes CSV, XLSX and NDJSON copies of every JSON fact file in examples/yangquan-2019.

    pip install openpyxl
    python3 examples/yangquan-2019-formats/generate.py

Like the JSON files, the copies are illustrative examples, not real compliance records.

Every `*.json` file of examples/yangquan-2019 is read, in file name order; records of a kind
that several files hold (文件, 企業) are put together in that order. Then, per record kind:

csv/<kind>.csv   header row = the field names (in the order they first appear), one row per
                 record, CRLF line ends, quotes only where needed. A JSON number keeps the text
                 the JSON file has; `true`/`false` become `TRUE`/`FALSE`, as Excel writes them;
                 an absent field is an empty cell.
xlsx/yangquan-2019.xlsx
                 one sheet per record kind, named after it, with the same header row. A JSON
                 number becomes an Excel number only where that is exact: an integer of at
                 most 15 digits, or a decimal whose shortest `f64` text has the same value
                 (`7.0`, `0.1`); any other number stays text. A `YYYY-MM-DD` text becomes an
                 Excel date formatted `yyyy-mm-dd`; `true`/`false` become Excel booleans.
ndjson/yangquan-2019.ndjson
                 one line per record, kinds in name order, each record with a `"kind"` member
                 first, then its fields as the JSON file has them (numbers as written).

Encoding of each CSV file. The record kinds are sorted by name (Unicode code point order) and
numbered from 0; kind number n is written as

    n % 10 == 4   UTF-8 with a BOM (as Excel's "CSV UTF-8" saves),
    n % 10 == 9   UTF-8 without a BOM,
    otherwise     GBK (as Excel on Chinese Windows saves "CSV (逗號分隔)"),

except that a file due to be GBK whose text has a character GBK cannot encode is written as
UTF-8 with a BOM instead; the script prints each such fallback.

The output is deterministic: the same JSON files give the same bytes. The workbook's
created/modified properties are set to a fixed date (openpyxl would write the time of saving),
and the XLSX zip entries get a fixed timestamp too.

tests/formats.rs checks that the JSON files, the CSV folder, the workbook and the NDJSON file
give the same verdicts.
"""
import csv
import datetime
import decimal
import io
import json
import re
import zipfile
from pathlib import Path

import openpyxl
from openpyxl.writer.excel import ExcelWriter

HERE = Path(__file__).resolve().parent
SOURCE = HERE.parent / "yangquan-2019"
WORKBOOK = "yangquan-2019.xlsx"
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# A fixed date for the workbook's properties and zip entries, so re-runs give the same bytes.
FIXED = datetime.datetime(2019, 5, 20, 0, 0, 0)
SHEET_NAME_MAX = 31  # Excel's limit on sheet names


class Num(str):
    """A JSON number, kept as the text it was written as."""


def load(path):
    # Numbers stay text, so nothing is rounded on the way.
    return json.loads(path.read_text(encoding="utf-8"), parse_float=Num, parse_int=Num)


def columns(records):
    names = []
    for r in records:
        for k in r:
            if k not in names:
                names.append(k)
    return names


def encoding_of(n):
    """The encoding kind number `n` (in name order) is written in, before any GBK fallback."""
    if n % 10 == 4:
        return "utf-8-sig"
    if n % 10 == 9:
        return "utf-8"
    return "gbk"


def csv_text(v):
    if v is None:
        return ""
    if v is True:
        return "TRUE"
    if v is False:
        return "FALSE"
    return str(v)


def exact_in_excel(text):
    """Whether the JSON number `text` survives a trip through an Excel number (an f64) and back
    as the shortest decimal that reads as that f64, with the same value."""
    value = decimal.Decimal(text)
    if value == value.to_integral_value():
        digits = len(str(abs(int(value))))
        return digits <= 15
    return decimal.Decimal(repr(float(text))) == value


def xlsx_value(v):
    if isinstance(v, Num):
        if not exact_in_excel(v):
            return str(v)
        value = decimal.Decimal(v)
        return int(value) if value == value.to_integral_value() else float(v)
    if isinstance(v, str) and DATE.match(v):
        return datetime.date.fromisoformat(v)
    return v


def write_csv(kind, names, records, encoding):
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\r\n")
    w.writerow(names)
    for r in records:
        w.writerow([csv_text(r.get(n)) for n in names])
    text = out.getvalue()
    if encoding == "gbk":
        try:
            data = text.encode("gbk")
        except UnicodeEncodeError as e:
            print(f"{kind}.csv: {text[e.start:e.end]!r} is not in GBK; written as UTF-8 with a BOM")
            encoding = "utf-8-sig"
    if encoding != "gbk":
        data = text.encode(encoding)
    (HERE / "csv" / f"{kind}.csv").write_bytes(data)
    return encoding


def ndjson_value(v):
    if isinstance(v, Num):
        return str(v)
    return json.dumps(v, ensure_ascii=False)


def ndjson_line(kind, record):
    members = [("kind", kind)] + list(record.items())
    return "{" + ", ".join(f"{json.dumps(k, ensure_ascii=False)}: {ndjson_value(v)}" for k, v in members) + "}\n"


def save_deterministic(book, path):
    """Saves `book` with fixed properties and zip timestamps."""
    book.properties.created = FIXED
    book.properties.modified = FIXED
    buffer = io.BytesIO()
    # `openpyxl.Workbook.save` would stamp `modified` with the time of saving; the writer
    # it calls does not.
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(book, archive).save()
    buffer.seek(0)
    with zipfile.ZipFile(buffer) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for entry in src.infolist():
            info = zipfile.ZipInfo(entry.filename, date_time=FIXED.timetuple()[:6])
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            dst.writestr(info, src.read(entry.filename))


def main():
    kinds = {}
    for path in sorted(SOURCE.glob("*.json")):
        for kind, records in load(path).items():
            kinds.setdefault(kind, []).extend(records)

    (HERE / "csv").mkdir(exist_ok=True)
    (HERE / "xlsx").mkdir(exist_ok=True)
    (HERE / "ndjson").mkdir(exist_ok=True)
    for old in (HERE / "csv").glob("*.csv"):
        old.unlink()
    for old in (HERE / "xlsx").glob("*.xlsx"):
        old.unlink()

    book = openpyxl.Workbook()
    book.remove(book.active)
    counts = {}
    for n, kind in enumerate(sorted(kinds)):
        records = kinds[kind]
        names = columns(records)
        encoding = write_csv(kind, names, records, encoding_of(n))
        counts[encoding] = counts.get(encoding, 0) + 1

        if len(kind) > SHEET_NAME_MAX or any(c in kind for c in "[]:*?/\\"):
            raise SystemExit(f"`{kind}` cannot be an Excel sheet name")
        sheet = book.create_sheet(kind)
        sheet.append(names)
        for r in records:
            sheet.append([xlsx_value(r.get(n)) for n in names])
        for row in sheet.iter_rows(min_row=2):
            for cell in row:
                if isinstance(cell.value, datetime.date):
                    cell.number_format = "yyyy-mm-dd"
    save_deterministic(book, HERE / "xlsx" / WORKBOOK)
    lines = [ndjson_line(kind, r) for kind in sorted(kinds) for r in kinds[kind]]
    (HERE / "ndjson" / "yangquan-2019.ndjson").write_text("".join(lines), encoding="utf-8", newline="\n")
    print(f"{len(kinds)} record kinds: " + ", ".join(f"{n} {e}" for e, n in sorted(counts.items())))


if __name__ == "__main__":
    main()
