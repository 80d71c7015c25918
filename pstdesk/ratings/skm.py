"""The Survei Kepuasan Masyarakat (SKM) of PermenPAN-RB 14/2017: the nine elements, their four-point scales, and the
index (IKM) as a pure, exact computation.

Element ids `u1`…`u9` follow the regulation's order of elements (u8 = complaint handling, u9 = facilities). Many
printed questionnaires swap the last two, which is why answers are stored keyed by element id, never by position.

The formula (research notes `domain-bps.md` §2): NRR of an element = sum of its answers / number of respondents who
answered it; IKM = (mean of the nine NRR) × 25. It is computed with fractions, never with the rounded weight 0,111
(which lowers a 91,48 to 90,56), and only then rounded half-up to two decimals; the grade is read from the rounded
value (A ≥ 88,31, B ≥ 76,61, C ≥ 65,00, else D), which closes the gaps of the printed table.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Element:
    """One SKM element: its id, name, the question, and the wording of the scale from 1 (worst) to 4 (best)."""

    id: str
    name: str | Promise
    question: str | Promise
    scale: tuple[str | Promise, str | Promise, str | Promise, str | Promise]


ELEMENTS: tuple[Element, ...] = (
    Element(
        "u1",
        _("Persyaratan"),
        _("Bagaimana pendapat Saudara tentang kesesuaian persyaratan pelayanan dengan jenis pelayanannya?"),
        (_("Tidak sesuai"), _("Kurang sesuai"), _("Sesuai"), _("Sangat sesuai")),
    ),
    Element(
        "u2",
        _("Sistem, mekanisme dan prosedur"),
        _("Bagaimana pemahaman Saudara tentang kemudahan prosedur pelayanan di unit ini?"),
        (_("Tidak mudah"), _("Kurang mudah"), _("Mudah"), _("Sangat mudah")),
    ),
    Element(
        "u3",
        _("Waktu penyelesaian"),
        _("Bagaimana pendapat Saudara tentang kecepatan waktu dalam memberikan pelayanan?"),
        (_("Tidak cepat"), _("Kurang cepat"), _("Cepat"), _("Sangat cepat")),
    ),
    Element(
        "u4",
        _("Biaya/tarif"),
        _("Bagaimana pendapat Saudara tentang kewajaran biaya/tarif dalam pelayanan?"),
        (_("Sangat mahal"), _("Cukup mahal"), _("Murah"), _("Gratis")),
    ),
    Element(
        "u5",
        _("Produk spesifikasi jenis pelayanan"),
        _(
            "Bagaimana pendapat Saudara tentang kesesuaian produk pelayanan antara yang tercantum dalam standar "
            "pelayanan dengan hasil yang diberikan?"
        ),
        (_("Tidak sesuai"), _("Kurang sesuai"), _("Sesuai"), _("Sangat sesuai")),
    ),
    Element(
        "u6",
        _("Kompetensi pelaksana"),
        _("Bagaimana pendapat Saudara tentang kompetensi/kemampuan petugas dalam pelayanan?"),
        (_("Tidak kompeten"), _("Kurang kompeten"), _("Kompeten"), _("Sangat kompeten")),
    ),
    Element(
        "u7",
        _("Perilaku pelaksana"),
        _("Bagaimana pendapat Saudara tentang perilaku petugas dalam pelayanan terkait kesopanan dan keramahan?"),
        (_("Tidak sopan dan ramah"), _("Kurang sopan dan ramah"), _("Sopan dan ramah"), _("Sangat sopan dan ramah")),
    ),
    Element(
        "u8",
        _("Penanganan pengaduan, saran dan masukan"),
        _("Bagaimana pendapat Saudara tentang penanganan pengaduan pengguna layanan?"),
        (_("Tidak ada"), _("Ada tetapi tidak berfungsi"), _("Berfungsi kurang maksimal"), _("Dikelola dengan baik")),
    ),
    Element(
        "u9",
        _("Sarana dan prasarana"),
        _("Bagaimana pendapat Saudara tentang kualitas sarana dan prasarana?"),
        (_("Buruk"), _("Cukup"), _("Baik"), _("Sangat baik")),
    ),
)
ELEMENT_IDS: tuple[str, ...] = tuple(e.id for e in ELEMENTS)
SCALE = (1, 2, 3, 4)

TWO_PLACES = Decimal("0.01")
GRADES: tuple[tuple[Decimal, str], ...] = ((Decimal("88.31"), "A"), (Decimal("76.61"), "B"), (Decimal("65.00"), "C"))
PERFORMANCE = {
    "A": _("Sangat baik"),
    "B": _("Baik"),
    "C": _("Kurang baik"),
    "D": _("Tidak baik"),
}


def clean_answers(raw: Mapping[str, object]) -> dict[str, int]:
    """The answered elements of one response as {element id: 1..4}. Missing, None and "" mean "left unanswered";
    anything else outside 1..4 or an unknown element id raises ValueError naming it."""
    unknown = sorted(set(raw) - set(ELEMENT_IDS))
    if unknown:
        raise ValueError(f"unknown element {unknown[0]!r}")
    answers: dict[str, int] = {}
    for element in ELEMENT_IDS:
        value = raw.get(element)
        if value is None or value == "":
            continue
        if isinstance(value, bool):
            raise ValueError(f"{element}: answer must be 1, 2, 3 or 4")
        try:
            number = int(str(value).strip())
        except ValueError:
            raise ValueError(f"{element}: answer must be 1, 2, 3 or 4, got {value!r}") from None
        if number not in SCALE or str(value).strip() not in {"1", "2", "3", "4"}:
            raise ValueError(f"{element}: answer must be 1, 2, 3 or 4, got {value!r}")
        answers[element] = number
    return answers


def exact_round2(value: Fraction) -> Decimal:
    """Half-up rounding to two decimals decided on the exact fraction (no intermediate decimal division)."""
    scaled = value * 100
    floor = scaled.numerator // scaled.denominator
    remainder = scaled - floor
    return (Decimal(floor + (1 if remainder >= Fraction(1, 2) else 0)) / 100).quantize(TWO_PLACES)


def grade(ikm: Decimal) -> str:
    """The quality grade (mutu) of an IKM already rounded to two decimals."""
    for threshold, letter in GRADES:
        if ikm >= threshold:
            return letter
    return "D"


def krejcie_morgan(population: int) -> int:
    """The minimum sample for a population N (Krejcie & Morgan 1970, the table PermenPAN-RB 14/2017 points to):
    s = χ²·N·P(1−P) / (d²(N−1) + χ²·P(1−P)), χ² = 3,841, P = 0,5, d = 0,05, rounded to the nearest integer
    (N 100 → 80, 1 000 → 278, 10 000 → 370)."""
    if population <= 0:
        return 0
    chi = Fraction(3841, 1000)
    pq = Fraction(1, 4)
    d2 = Fraction(1, 400)
    s = chi * population * pq / (d2 * (population - 1) + chi * pq)
    half_up = s + Fraction(1, 2)
    return half_up.numerator // half_up.denominator


@dataclass(frozen=True)
class IkmResult:
    """The index of a set of responses: the exact NRR per element (None when nobody answered it), the IKM rounded
    to two decimals and its grade (None when an element has no answers: the formula needs all nine), the number of
    respondents n (responses with at least one answer) and answers per element."""

    nrr: dict[str, Fraction | None]
    answered: dict[str, int]
    n: int
    ikm: Decimal | None
    mutu: str | None

    @property
    def ikm_exact(self) -> Fraction | None:
        if any(v is None for v in self.nrr.values()):
            return None
        values = [v for v in self.nrr.values() if v is not None]
        return sum(values, Fraction(0)) / len(ELEMENT_IDS) * 25

    def nrr_rounded(self, places: int = 4) -> dict[str, float | None]:
        """NRR for display (the IKM is computed from the exact fractions, not from these)."""
        quantum = Decimal(1).scaleb(-places)
        out: dict[str, float | None] = {}
        for element, value in self.nrr.items():
            if value is None:
                out[element] = None
            else:
                exact = Decimal(value.numerator) / Decimal(value.denominator)
                out[element] = float(exact.quantize(quantum, rounding=ROUND_HALF_UP))
        return out


def compute_ikm(responses: Iterable[Mapping[str, int]]) -> IkmResult:
    """The IKM of responses given as {element id: 1..4} (unanswered elements absent). Pure: no database."""
    sums = dict.fromkeys(ELEMENT_IDS, 0)
    counts = dict.fromkeys(ELEMENT_IDS, 0)
    n = 0
    for answers in responses:
        if not answers:
            continue
        n += 1
        for element, value in answers.items():
            if element in sums and value in SCALE:
                sums[element] += int(value)
                counts[element] += 1
    nrr: dict[str, Fraction | None] = {
        element: (Fraction(sums[element], counts[element]) if counts[element] else None) for element in ELEMENT_IDS
    }
    if n == 0 or any(v is None for v in nrr.values()):
        return IkmResult(nrr=nrr, answered=counts, n=n, ikm=None, mutu=None)
    exact = sum((v for v in nrr.values() if v is not None), Fraction(0)) / len(ELEMENT_IDS) * 25
    ikm = exact_round2(exact)
    return IkmResult(nrr=nrr, answered=counts, n=n, ikm=ikm, mutu=grade(ikm))
