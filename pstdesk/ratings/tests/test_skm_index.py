"""The SKM index (PermenPAN-RB 14/2017) as a pure computation: a worked example by hand, an element answered by
fewer respondents, the grade boundaries, and the Krejcie–Morgan minimum sample."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest

from pstdesk.ratings import skm

EIGHT = ("u1", "u2", "u3", "u4", "u5", "u6", "u7", "u8")


def column(counts: dict[int, int]) -> list[int]:
    """The answers to one element, e.g. {4: 6, 3: 5} = six 4s then five 3s."""
    return [score for score, times in sorted(counts.items(), reverse=True) for _ in range(times)]


def respondents(first_eight: list[int], u9: list[int]) -> list[dict[str, int]]:
    """Every respondent gives the same answer to u1..u8 (their entry of `first_eight`); only the first len(u9)
    respondents answered u9, the others left it empty."""
    rows = []
    for i, value in enumerate(first_eight):
        answers = dict.fromkeys(EIGHT, value)
        if i < len(u9):
            answers["u9"] = u9[i]
        rows.append(answers)
    return rows


def test_worked_example_by_hand_with_an_element_answered_by_fewer():
    # Four respondents; the fourth left u9 (sarana dan prasarana) unanswered.
    rows = [
        dict.fromkeys(skm.ELEMENT_IDS, 4),
        dict.fromkeys(skm.ELEMENT_IDS, 3),
        {**dict.fromkeys(EIGHT, 4), "u9": 2},
        dict.fromkeys(EIGHT, 3),
    ]
    result = skm.compute_ikm(rows)
    # By hand: NRR u1..u8 = (4+3+4+3)/4 = 3.5; NRR u9 = (4+3+2)/3 = 3 (three answers, not four).
    assert result.nrr["u1"] == Fraction(7, 2) and result.nrr["u8"] == Fraction(7, 2)
    assert result.nrr["u9"] == Fraction(3) and result.answered["u9"] == 3 and result.answered["u1"] == 4
    # IKM = (8 × 3.5 + 3) / 9 × 25 = 31/9 × 25 = 775/9 = 86.111… → 86,11, grade B (76,61 ≤ IKM < 88,31).
    assert result.ikm_exact == Fraction(775, 9)
    assert result.ikm == Decimal("86.11") and result.mutu == "B" and result.n == 4
    # The rounded weight 0,111 would have given 31 × 0.111 × 25 = 86.025 → 86,03: not what we print.
    assert (Decimal(31) * Decimal("0.111") * 25).quantize(Decimal("0.01")) != result.ikm
    assert result.nrr_rounded() == {**dict.fromkeys(EIGHT, 3.5), "u9": 3.0}


@pytest.mark.parametrize(
    ("first_eight", "u9", "exact", "printed", "mutu"),
    [
        # 12 respondents, u1..u8 sum 44 each (8×4 + 4×3), u9 by 11 (5×3 + 6×2 = 27):
        # (8 × 44/12 + 27/11) × 25/9 = 26225/297 = 88.2996… → 88,30 → B (one hundredth short of A).
        ({4: 8, 3: 4}, {3: 5, 2: 6}, Fraction(26225, 297), "88.30", "B"),
        # 11 respondents, 39 each (6×4 + 5×3), u9 by 7 (3×4 + 4×3 = 24): 6800/77 = 88.3116… → 88,31 → A.
        ({4: 6, 3: 5}, {4: 3, 3: 4}, Fraction(6800, 77), "88.31", "A"),
        # 9 respondents, 29 each (2×4 + 7×3), u9 by 5 (4×2 + 1×1 = 9): 6205/81 = 76.6049… → 76,60 → C.
        ({4: 2, 3: 7}, {2: 4, 1: 1}, Fraction(6205, 81), "76.60", "C"),
        # 11 respondents, 35 each (2×4 + 9×3), u9 by 8 (1×3 + 7×2 = 17): 20225/264 = 76.6098… → 76,61 → B.
        ({4: 2, 3: 9}, {3: 1, 2: 7}, Fraction(20225, 264), "76.61", "B"),
    ],
)
def test_grade_boundaries_on_the_rounded_index(first_eight, u9, exact, printed, mutu):
    result = skm.compute_ikm(respondents(column(first_eight), column(u9)))
    assert result.ikm_exact == exact
    assert result.ikm == Decimal(printed) and result.mutu == mutu


@pytest.mark.parametrize(
    ("ikm", "mutu"),
    [
        ("100.00", "A"),
        ("88.31", "A"),
        ("88.30", "B"),
        ("76.61", "B"),
        ("76.60", "C"),
        ("65.00", "C"),
        ("64.99", "D"),
        ("25.00", "D"),
    ],
)
def test_grade_table(ikm, mutu):
    assert skm.grade(Decimal(ikm)) == mutu


def test_half_up_rounding_is_decided_on_the_exact_fraction():
    assert skm.exact_round2(Fraction(88305, 1000)) == Decimal("88.31")
    assert skm.exact_round2(Fraction(88304999, 1000000)) == Decimal("88.30")


def test_no_answers_and_an_element_nobody_answered_give_no_index():
    assert skm.compute_ikm([]).ikm is None and skm.compute_ikm([]).n == 0
    result = skm.compute_ikm([dict.fromkeys(EIGHT, 4)])
    assert result.ikm is None and result.mutu is None and result.nrr["u9"] is None and result.n == 1


@pytest.mark.parametrize(
    ("population", "minimum"),
    [(0, 0), (10, 10), (20, 19), (30, 28), (50, 44), (100, 80), (200, 132), (500, 217), (1000, 278), (10000, 370)],
)
def test_krejcie_morgan_minimum(population, minimum):
    assert skm.krejcie_morgan(population) == minimum


@pytest.mark.parametrize("bad", [{"u1": 5}, {"u1": 0}, {"u1": "x"}, {"u1": 2.5}, {"u10": 3}, {"u1": True}])
def test_answers_outside_the_scale_or_unknown_elements_are_refused(bad):
    with pytest.raises(ValueError):
        skm.clean_answers(bad)


def test_empty_cells_mean_unanswered():
    assert skm.clean_answers({"u1": "4", "u2": "", "u3": None, "u9": 1}) == {"u1": 4, "u9": 1}


def test_elements_follow_the_regulation_order():
    assert skm.ELEMENT_IDS == ("u1", "u2", "u3", "u4", "u5", "u6", "u7", "u8", "u9")
    assert str(skm.ELEMENTS[7].name).startswith("Penanganan pengaduan")
    assert str(skm.ELEMENTS[8].name) == "Sarana dan prasarana"
    assert all(len(e.scale) == 4 for e in skm.ELEMENTS)
