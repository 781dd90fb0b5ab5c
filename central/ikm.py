"""The Indeks Kepuasan Masyarakat (IKM) of PermenPAN-RB No. 14/2017, computed exactly as the regulation does.

Each response answers the nine elements (unsur, U1-U9) on the 1-4 scale. Per element the NRR (nilai
rata-rata) is the mean score over respondents; the IKM is the weighted sum of the nine NRRs, each
weighted equally (1/9; the regulation prints it rounded as 0.111), on the 1-4 scale; the unit's index is
IKM x 25 (25-100), reported to two decimals, and its quality band (mutu) A-D follows from that index.

Arithmetic is exact (fractions) up to the reported rounding (half up, as done by hand), so a boundary
such as 76.61 is decided the way the regulation's table reads, not by float noise. Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

ELEMENTS = (
    "requirements",  # U1 persyaratan
    "procedure",  # U2 sistem, mekanisme dan prosedur
    "service_time",  # U3 waktu penyelesaian
    "cost",  # U4 biaya/tarif
    "product",  # U5 produk spesifikasi jenis pelayanan
    "competence",  # U6 kompetensi pelaksana
    "behaviour",  # U7 perilaku pelaksana
    "complaints",  # U8 penanganan pengaduan, saran dan masukan
    "facilities",  # U9 sarana dan prasarana
)
WEIGHT = Fraction(1, len(ELEMENTS))
SCALE = 25
LOWEST, HIGHEST = 1, 4
TWO_PLACES = Decimal("0.01")


@dataclass(frozen=True)
class Band:
    grade: str
    lowest_index: Decimal  # the band's lower limit on the converted 25-100 scale
    quality_id: str
    quality_en: str


# Highest first; the regulation's interval limits on the 25-100 scale (1-4 scale: 3.5324, 3.0644, 2.60, 1.00).
BANDS = (
    Band("A", Decimal("88.31"), "sangat baik", "very good"),
    Band("B", Decimal("76.61"), "baik", "good"),
    Band("C", Decimal("65.00"), "kurang baik", "fair"),
    Band("D", Decimal("25.00"), "tidak baik", "poor"),
)


class SurveyError(ValueError):
    """A response that cannot be counted; the message says which one and why."""


@dataclass(frozen=True)
class IkmResult:
    respondents: int
    nrr: dict[str, Fraction]  # element -> mean score, 1-4
    ikm: Fraction  # weighted sum of the NRRs, 1-4
    index: Decimal  # ikm x 25, rounded half up to two decimals, 25.00-100.00
    band: Band

    def element_index(self, element: str) -> Decimal:
        """One element's NRR on the 25-100 scale, as the report's per-element table shows it."""
        return converted(self.nrr[element])

    def element_band(self, element: str) -> Band:
        return band_of(self.element_index(element))


def converted(score: Fraction) -> Decimal:
    """A 1-4 score on the 25-100 scale, rounded half up to two decimals."""
    exact = score * SCALE
    return (Decimal(exact.numerator) / Decimal(exact.denominator)).quantize(TWO_PLACES, rounding=ROUND_HALF_UP)


def band_of(index: Decimal) -> Band:
    if not Decimal(SCALE * LOWEST) <= index <= Decimal(SCALE * HIGHEST):
        raise ValueError(f"index {index} is outside 25-100")
    return next(b for b in BANDS if index >= b.lowest_index)


def _scores(n: int, response: Sequence[int] | Mapping[str, int]) -> tuple[int, ...]:
    if isinstance(response, Mapping):
        unknown = sorted(set(response) - set(ELEMENTS))
        missing = [e for e in ELEMENTS if e not in response]
        if unknown or missing:
            raise SurveyError(f"response {n}: " + "; ".join(
                ([f"unknown element(s) {', '.join(unknown)}"] if unknown else [])
                + ([f"missing element(s) {', '.join(missing)}"] if missing else [])))
        values = tuple(response[e] for e in ELEMENTS)
    else:
        values = tuple(response)
        if len(values) != len(ELEMENTS):
            raise SurveyError(f"response {n}: {len(values)} answers, the survey has {len(ELEMENTS)} elements")
    for element, v in zip(ELEMENTS, values):
        if isinstance(v, bool) or not isinstance(v, int) or not LOWEST <= v <= HIGHEST:
            raise SurveyError(f"response {n}: {element} is {v!r}, must be a whole number {LOWEST}-{HIGHEST}")
    return values


def compute(responses: Iterable[Sequence[int] | Mapping[str, int]]) -> IkmResult:
    """The IKM of these responses (each nine scores in ELEMENTS order, or a mapping element -> score)."""
    totals = [0] * len(ELEMENTS)
    count = 0
    for n, response in enumerate(responses, 1):
        for i, v in enumerate(_scores(n, response)):
            totals[i] += v
        count = n
    if count == 0:
        raise SurveyError("no responses: the IKM needs at least one")
    nrr = {e: Fraction(t, count) for e, t in zip(ELEMENTS, totals)}
    ikm = sum((score * WEIGHT for score in nrr.values()), Fraction(0))
    index = converted(ikm)
    return IkmResult(count, nrr, ikm, index, band_of(index))
