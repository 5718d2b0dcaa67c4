"""lcov tracefiles: LH/LF and BRH/BRF summed over the records, or counted from DA/BRDA.

The rules are in :mod:`pytest_gates.formats.coverage`.
"""

from __future__ import annotations

import itertools
import os

from ._coverage_common import BOM, CoverageTotals, make_totals, plural
from .errors import FormatError, open_report

__all__ = ["read_lcov"]


def read_lcov(path: str | os.PathLike[str]) -> CoverageTotals:
    """Read the totals of the lcov tracefile at ``path``."""
    lines = [0, 0]
    branches = [0, 0]
    has_branches = False
    records = from_da = 0
    seen: set[int] = set()  # hashes of the SF: paths, only for the note on repeats
    duplicates = 0
    record: dict[bytes, int] | None = None
    da = [0, 0, 0, 0]  # DA lines, hit DA lines, BRDA entries, taken BRDA entries
    opened = 0
    number = 0

    def bad(why: str) -> FormatError:
        return FormatError(path, f"line {number}: {why}")

    with open_report(path) as fh:
        first = fh.readline().removeprefix(BOM)
        for number, raw in enumerate(itertools.chain([first], fh), 1):
            text = raw.strip()
            key, sep, value = text.partition(b":")
            try:
                if key == b"DA" and record is not None:
                    da[0] += 1
                    da[1] += int(value.split(b",")[1]) > 0
                elif key == b"BRDA" and record is not None:
                    taken = value.split(b",")[3]
                    da[2] += 1
                    da[3] += taken != b"-" and int(taken) > 0
                elif key in (b"LF", b"LH", b"BRF", b"BRH") and record is not None:
                    record[key] = int(value)
                    if record[key] < 0:
                        raise ValueError
                elif key == b"SF":
                    if record is not None:
                        raise bad(f"SF: before the end_of_record of the record at line {opened}")
                    record, da, opened = {}, [0, 0, 0, 0], number
                    duplicates += hash(value) in seen
                    seen.add(hash(value))
                elif text == b"end_of_record":
                    if record is None:
                        raise bad("end_of_record without an SF: record")
                    found, hit = record.get(b"LF"), record.get(b"LH")
                    if found is None or hit is None:
                        found, hit = da[0], da[1]
                        from_da += 1
                    brf, brh = record.get(b"BRF"), record.get(b"BRH")
                    if brf is None or brh is None:
                        brf, brh = (da[2], da[3]) if da[2] else (None, None)
                    if hit > found or (brf is not None and brh is not None and brh > brf):
                        raise bad("more hit than found (LH > LF or BRH > BRF)")
                    lines[0] += found
                    lines[1] += hit
                    if brf is not None and brh is not None:
                        has_branches = True
                        branches[0] += brf
                        branches[1] += brh
                    records += 1
                    record = None
                elif text and not (sep and key.isalpha() and key.isupper()):
                    raise bad(f"not an lcov record: {text[:40].decode('utf-8', 'replace')!r}")
                elif key in (b"DA", b"BRDA", b"LF", b"LH", b"BRF", b"BRH"):
                    raise bad(f"{key.decode()}: outside a record (no SF: before it)")
            except FormatError:
                raise
            except (ValueError, IndexError):
                raise bad(f"malformed {key.decode('utf-8', 'replace')}: record") from None
    if record is not None:
        raise FormatError(
            path, f"truncated: the record that starts at line {opened} has no end_of_record"
        )
    source = f"LH/LF summed over {plural(records, 'lcov record')}"
    if has_branches:
        source += " (branches: BRH/BRF)"
    if from_da:
        source += f"; DA lines counted where LF/LH are missing ({plural(from_da, 'record')})"
    if duplicates:
        source += (
            f"; note: a repeated SF: path in {plural(duplicates, 'record')}, summed not merged"
        )
    branch_pair = (branches[0], branches[1]) if has_branches else None
    return make_totals("lcov", (lines[0], lines[1]), branch_pair, source)
