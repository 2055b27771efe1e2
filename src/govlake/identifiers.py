"""Citizen IDs (GB 11643) and unified social credit codes (GB 32100).

python-stdnum computes the check characters; it is not the only gate because ``stdnum.cn.ric``
only knows division codes of 2002-2014 and ``stdnum.cn.uscc`` rejects codes whose first eight
characters are not all digits. The address part is checked against every GB/T 2260 code of
1980-2019 (``catalog/reference``).
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from functools import lru_cache
from pathlib import Path

from stdnum.cn import ric, uscc

DIVISION_CODES_FILE = (
    Path(__file__).resolve().parents[2] / "catalog/reference/gb2260_division_codes.tsv"
)
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


@lru_cache(maxsize=1)
def division_codes() -> frozenset[str]:
    """Every 6-digit division code that appeared in a GB/T 2260 revision 1980-2019."""
    lines = DIVISION_CODES_FILE.read_text(encoding="utf-8").splitlines()[1:]
    return frozenset(line.split("\t", 1)[0] for line in lines if line)


def normalise(value: str) -> str:
    """Canonical text of an identifier: NFKC (full-width → ASCII), no spaces, upper case."""
    return "".join(unicodedata.normalize("NFKC", value).split()).upper()


def citizen_id_problem(value: str, *, today: dt.date | None = None) -> str | None:
    """Why ``value`` is not a valid citizen ID, or None. Expects the normalised form."""
    if len(value) != 18:
        return f"length {len(value)}, expected 18"
    if not value[:17].isdigit() or not (value[17].isdigit() or value[17] == "X"):
        return "expected 17 digits and a digit or X"
    if value[:6] not in division_codes():
        return f"division code {value[:6]} is not a GB/T 2260 code"
    try:
        born = dt.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return f"birth date {value[6:14]} is not a date"
    if not dt.date(1880, 1, 1) <= born <= (today or dt.date.today()):
        return f"birth date {born} out of range"
    if ric.calc_check_digit(value) != value[17]:
        return f"check character {value[17]}, expected {ric.calc_check_digit(value)}"
    return None


def citizen_id_birth_date(value: str) -> dt.date:
    return dt.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))


def citizen_id_sex(value: str) -> str:
    """性别 from the 17th digit: odd = 男 (male), even = 女 (female)."""
    return "男" if int(value[16]) % 2 else "女"


def make_citizen_id(division: str, born: dt.date, sequence: int, male: bool) -> str:
    """Build a valid ID: division code, birth date, 3-digit sequence (parity = sex), check."""
    seq = sequence % 500 * 2 + (1 if male else 0)
    body = f"{division}{born:%Y%m%d}{seq:03d}"
    return body + ric.calc_check_digit(body + "?")  # stdnum drops the last character


def credit_code_problem(value: str) -> str | None:
    """Why ``value`` is not a valid unified social credit code, or None (normalised input)."""
    if len(value) != 18:
        return f"length {len(value)}, expected 18"
    bad = sorted({c for c in value if c not in USCC_ALPHABET})
    if bad:
        return f"characters {''.join(bad)} not in the GB 32100 alphabet"
    if not value[2:8].isdigit():
        return f"division part {value[2:8]} is not 6 digits"
    expected = uscc.calc_check_digit(value[:17])
    if value[17] != expected:
        return f"check character {value[17]}, expected {expected}"
    return None


def make_credit_code(registry: str, division: str, org: str) -> str:
    """Build a valid code: 登记管理部门+机构类别 (2 chars), division (6), 主体标识码 (9), check."""
    body = f"{registry}{division}{org}"
    if len(body) != 17:
        raise ValueError(f"credit code body {body!r} must be 17 characters")
    return body + uscc.calc_check_digit(body)
