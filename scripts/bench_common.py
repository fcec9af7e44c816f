"""Shared by the benchmark's competitor conversions (bench_duckdb.py, bench_pyarrow.py).

Both write the archiver's lake schema v1 (schemas/usage_details.v1.json): the same column names,
order and types (date32, int64, utf8, decimal128(38,18), map<utf8,utf8>), zstd level 3, row
groups of 128 Ki rows, rows in page order. API field names match case-insensitively, as in the
archiver; the spelling each page set uses is taken from its first page.

What they do NOT reproduce (the benchmark's generator never produces it): unknown fields and
unconvertible values collected into `extra_fields` (only unparseable `tags` text is), and a
second spelling of the same field inside one row.
"""

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = ROOT / "schemas" / "usage_details.v1.json"
ROW_GROUP_ROWS = 128 * 1024
ZSTD_LEVEL = 3


def columns():
    """[(name, type, [api field names])] in the archiver's column order."""
    return [(c["name"], c["type"], c["api_fields"]) for c in json.loads(SCHEMA.read_text())["columns"]]


def page_files(pages_dir):
    files = sorted(p for p in Path(pages_dir).iterdir() if p.name.endswith(".json"))
    if not files:
        sys.exit(f"no *.json page files in {pages_dir}")
    return files


def field_spellings(first_page):
    """{column: [field spellings seen in the first page]} for every schema column.

    A column whose field the sample never shows gets the schema's first spelling (so it is
    read, and comes out null). Unknown fields are reported on stderr: they would go to
    extra_fields in the archiver, which these conversions do not reproduce.
    """
    seen = {}
    for row in json.loads(Path(first_page).read_bytes()).get("data") or []:
        if isinstance(row, dict):
            for k in row:
                seen.setdefault(k.lower(), set()).add(k)
    out, known = {}, set()
    for name, _type, fields in columns():
        spellings = []
        for f in fields:
            known.add(f.lower())
            spellings += sorted(seen.get(f.lower(), ()))
        out[name] = spellings or fields[:1]
    unknown = sorted(k for k in seen if k not in known)
    if unknown:
        print(f"warning: fields not in the schema (extra_fields not reproduced): {unknown}", file=sys.stderr)
    return out


def tags_pairs(text):
    """The archiver's tags rule, in Python: (pairs or None, garbage?).

    ""/null/blank -> None; a JSON object, or one without its outer braces -> [(k, v)], values
    that are not strings keep their JSON text, the last of duplicate keys wins; anything else
    -> None and garbage=True (the text then goes to extra_fields['tags']).
    """
    if text is None or not text.strip():
        return None, False
    t = text.strip()
    if not t.startswith("{"):
        t = "{" + t + "}"
    try:
        obj = json.loads(t)
    except ValueError:
        return None, True
    if not isinstance(obj, dict):
        return None, True
    return [(k, v if isinstance(v, str) or v is None else json.dumps(v, ensure_ascii=False, separators=(",", ":")))
            for k, v in obj.items()], False
