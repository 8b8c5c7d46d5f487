#!/usr/bin/env python3
"""Writes CSV (GBK) and XLSX copies of some of examples/yangquan-2019's JSON fact files.

    pip install openpyxl
    python3 examples/yangquan-2019-formats/generate.py

csv/  one file per record kind, named after it, encoded as GBK (as Excel on Chinese Windows
      saves "CSV (逗號分隔)"); numbers keep the text the JSON file has.
xlsx/ one workbook, one sheet per record kind; numbers are Excel numbers (f64), dates are
      Excel dates.

tests/formats.rs checks that both copies give the same verdicts as the JSON files.
"""
import csv
import datetime
import io
import json
import re
from pathlib import Path

import openpyxl

HERE = Path(__file__).resolve().parent
SOURCE = HERE.parent / "yangquan-2019"
FILES = ["kilns.json", "enterprises.json", "counties.json"]
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


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


def csv_text(v):
    if v is None:
        return ""
    if v is True:
        return "true"
    if v is False:
        return "false"
    return str(v)


def xlsx_value(v):
    if isinstance(v, Num):
        return int(v) if re.fullmatch(r"-?\d+", v) else float(v)
    if isinstance(v, str) and DATE.match(v):
        return datetime.date.fromisoformat(v)
    return v


def main():
    kinds = {}
    for name in FILES:
        for kind, records in load(SOURCE / name).items():
            kinds.setdefault(kind, []).extend(records)

    (HERE / "csv").mkdir(exist_ok=True)
    (HERE / "xlsx").mkdir(exist_ok=True)
    book = openpyxl.Workbook()
    book.remove(book.active)
    for kind, records in kinds.items():
        names = columns(records)
        out = io.StringIO()
        w = csv.writer(out, lineterminator="\r\n")
        w.writerow(names)
        for r in records:
            w.writerow([csv_text(r.get(n)) for n in names])
        (HERE / "csv" / f"{kind}.csv").write_bytes(out.getvalue().encode("gbk"))

        sheet = book.create_sheet(kind)
        sheet.append(names)
        for r in records:
            sheet.append([xlsx_value(r.get(n)) for n in names])
        for row in sheet.iter_rows(min_row=2):
            for cell in row:
                if isinstance(cell.value, datetime.date):
                    cell.number_format = "yyyy-mm-dd"
    book.save(HERE / "xlsx" / "yangquan.xlsx")


if __name__ == "__main__":
    main()
