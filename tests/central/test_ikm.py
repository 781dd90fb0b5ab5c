"""central/ikm.py against a worked example computed by hand from PermenPAN-RB 14/2017's formula."""

from __future__ import annotations

import re
from decimal import Decimal
from fractions import Fraction

import pytest

from central.ikm import ELEMENTS, SurveyError, band_of, compute, converted

# Four respondents; columns U1..U9 = requirements, procedure, service time, cost, product, competence,
# behaviour, complaints, facilities.
RESPONSES = [
    (4, 4, 3, 4, 3, 3, 4, 3, 4),
    (3, 3, 3, 4, 3, 4, 4, 2, 3),
    (4, 3, 2, 4, 3, 3, 3, 3, 3),
    (3, 4, 3, 4, 4, 3, 4, 2, 3),
]


def test_worked_example_by_hand():
    """By hand:

    Column sums U1..U9: 14, 14, 11, 16, 13, 13, 15, 10, 13; divided by 4 respondents the NRRs are
    3.50, 3.50, 2.75, 4.00, 3.25, 3.25, 3.75, 2.50, 3.25.
    Sum of NRRs = 3.5 + 3.5 + 2.75 + 4 + 3.25 + 3.25 + 3.75 + 2.5 + 3.25 = 29.75.
    Each weighted 1/9: IKM = 29.75 / 9 = 3.30555... (1-4 scale).
    Index = 3.30555... x 25 = 743.75 / 9 = 82.6388... -> 82.64, which lies in 76.61-88.30: B (baik).
    (With the regulation's printed weight 0.111: 29.75 x 0.111 x 25 = 82.556 -> 82.56, also B.)

    Per element on the 25-100 scale: U3 = 2.75 x 25 = 68.75 (C, 65.00-76.60), U8 = 2.50 x 25 = 62.50
    (D, below 65.00), U4 = 4.00 x 25 = 100.00 (A), U1 = 3.50 x 25 = 87.50 (B).
    """
    r = compute(RESPONSES)
    assert r.respondents == 4
    assert [r.nrr[e] for e in ELEMENTS] == [Fraction(x) for x in
                                            ("3.5", "3.5", "2.75", "4", "3.25", "3.25", "3.75", "2.5", "3.25")]
    assert r.ikm == Fraction(2975, 900)
    assert r.index == Decimal("82.64")
    assert (r.band.grade, r.band.quality_id, r.band.quality_en) == ("B", "baik", "good")
    assert r.element_index("service_time") == Decimal("68.75") and r.element_band("service_time").grade == "C"
    assert r.element_index("complaints") == Decimal("62.50") and r.element_band("complaints").grade == "D"
    assert r.element_index("cost") == Decimal("100.00") and r.element_band("cost").grade == "A"
    assert r.element_index("requirements") == Decimal("87.50") and r.element_band("requirements").grade == "B"


def test_responses_as_mappings_give_the_same_result():
    as_maps = [dict(zip(ELEMENTS, row)) for row in RESPONSES]
    assert compute(as_maps) == compute(RESPONSES)


def test_extremes():
    """Everyone answering 4 gives IKM 4 x 25 = 100.00 (A); everyone answering 1 gives 25.00 (D)."""
    best, worst = compute([(4,) * 9] * 3), compute([(1,) * 9])
    assert (best.index, best.band.grade) == (Decimal("100.00"), "A")
    assert (worst.index, worst.band.grade) == (Decimal("25.00"), "D")


@pytest.mark.parametrize("index, grade", [
    ("25.00", "D"), ("64.99", "D"), ("65.00", "C"), ("76.60", "C"),
    ("76.61", "B"), ("88.30", "B"), ("88.31", "A"), ("100.00", "A"),
])
def test_the_regulations_interval_limits(index, grade):
    assert band_of(Decimal(index)).grade == grade


def test_reported_rounding_is_half_up_before_the_band():
    """3.5322 x 25 = 88.305 -> 88.31 (A), as rounded by hand; 3.0644 x 25 = 76.61 exactly (B);
    3.0643 x 25 = 76.6075 -> 76.61 (B); 3.0642 x 25 = 76.605 -> 76.61 (B); 3.0641 x 25 = 76.6025 -> 76.60 (C)."""
    assert converted(Fraction("3.5322")) == Decimal("88.31") and band_of(converted(Fraction("3.5322"))).grade == "A"
    assert converted(Fraction("3.0644")) == Decimal("76.61")
    assert converted(Fraction("3.0642")) == Decimal("76.61")
    assert band_of(converted(Fraction("3.0641"))).grade == "C"


def test_one_respondent():
    """One respondent (3,3,3,3,3,3,3,3,2): sum 26, IKM 26/9 = 2.8888..., x 25 = 72.22 (C)."""
    r = compute([(3, 3, 3, 3, 3, 3, 3, 3, 2)])
    assert r.ikm == Fraction(26, 9) and r.index == Decimal("72.22") and r.band.grade == "C"


@pytest.mark.parametrize("responses, message", [
    ([], "no responses"),
    ([(4,) * 8], "response 1: 8 answers, the survey has 9 elements"),
    ([(4,) * 9, (4, 4, 4, 5, 4, 4, 4, 4, 4)], "response 2: cost is 5, must be a whole number 1-4"),
    ([(4, 4, 4, 4, 0, 4, 4, 4, 4)], "response 1: product is 0"),
    ([(4, 4, 4, 4, 4, 4, 4, 4, 3.5)], "response 1: facilities is 3.5"),
    ([(True,) * 9], "response 1: requirements is True"),
    ([{"requirements": 4}], "missing element(s) procedure, service_time"),
    ([{**dict.fromkeys(ELEMENTS, 3), "price": 4}], "unknown element(s) price"),
])
def test_bad_responses_say_which_and_why(responses, message):
    with pytest.raises(SurveyError, match=re.escape(message)):
        compute(responses)
