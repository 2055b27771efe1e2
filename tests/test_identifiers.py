"""Citizen IDs and credit codes: built correctly, checked where python-stdnum is too strict."""

from __future__ import annotations

import datetime as dt

import pytest
from stdnum.cn import ric, uscc

from govlake.identifiers import (
    citizen_id_birth_date,
    citizen_id_problem,
    citizen_id_sex,
    credit_code_problem,
    division_codes,
    make_citizen_id,
    make_credit_code,
    normalise,
)

pytestmark = pytest.mark.unit


def test_made_citizen_id_is_valid_and_carries_date_and_sex() -> None:
    cid = make_citizen_id("110107", dt.date(1988, 2, 29), 17, male=False)
    assert citizen_id_problem(cid) is None
    assert ric.is_valid(cid)  # stdnum agrees for a 2002-2014 code
    assert citizen_id_birth_date(cid) == dt.date(1988, 2, 29)
    assert citizen_id_sex(cid) == "女"
    assert citizen_id_sex(make_citizen_id("110107", dt.date(1990, 1, 1), 3, male=True)) == "男"


def test_post_2014_division_codes_pass_where_stdnum_rejects() -> None:
    for code in ("110118", "110119"):  # 密云区, 延庆区: created 2015
        assert citizen_id_problem(make_citizen_id(code, dt.date(2016, 5, 1), 1, male=True)) is None
    cid = make_citizen_id("130284", dt.date(2017, 5, 1), 1, male=True)  # 滦州市, created 2018
    assert "130284" in division_codes()
    assert citizen_id_problem(cid) is None
    assert not ric.is_valid(cid)


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("11010719900101001", "length 17, expected 18"),
        ("99999919900101001X", "division code 999999 is not a GB/T 2260 code"),
        ("110107199002300011", "birth date 19900230 is not a date"),
        ("110107209901010011", "out of range"),
        ("1101071990010100AX", "expected 17 digits and a digit or X"),
    ],
)
def test_bad_citizen_ids_say_why(value: str, problem: str) -> None:
    assert problem in (citizen_id_problem(value) or "")


def test_wrong_check_character_names_the_expected_one() -> None:
    cid = make_citizen_id("110107", dt.date(1975, 7, 7), 42, male=True)
    wrong = cid[:17] + ("0" if cid[17] != "0" else "1")
    assert citizen_id_problem(wrong) == f"check character {wrong[17]}, expected {cid[17]}"


def test_credit_codes_with_letters_first_are_valid() -> None:
    code = make_credit_code("9N", "110107", "MA01ABC12")  # 9N: 个体工商户 style prefix
    assert credit_code_problem(code) is None
    assert not uscc.is_valid(code)  # stdnum wants the first 8 characters to be digits


def test_bad_credit_codes_say_why() -> None:
    code = make_credit_code("91", "110107", "MA01ABC12")
    assert credit_code_problem(code[:-1] + ("0" if code[-1] != "0" else "1")).startswith(
        "check character"
    )
    assert "not in the GB 32100 alphabet" in credit_code_problem("91110107MA01ABCI2X")
    assert credit_code_problem("9111010") == "length 7, expected 18"


def test_normalise_undoes_full_width_and_spaces() -> None:
    assert normalise("\u3000１１０１０７１９９００１０１００１ｘ ") == "11010719900101001X"
