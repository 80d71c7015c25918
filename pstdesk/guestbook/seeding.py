"""The guestbook's reference data: version 1 of the SKD-style code lists (list A of the research notes,
`shared/research/domain-bps.md` §1), loaded idempotently after every migrate (and every test flush).

A list version, once loaded, is never changed here: a new list is a new version (add it to CODE_LISTS with
version 2 and its effective date); guestbook entries keep the version they were answered against.
"""

from __future__ import annotations

from datetime import date
from typing import TypedDict

from django.db import transaction

from pstdesk.guestbook.models import CodeItem, CodeList

SOURCE_A = "SKD-aligned visitor block used across BPS apps (research/domain-bps.md §1, list A)"


class ItemSpec(TypedDict, total=False):
    code: str
    id: str
    en: str
    other: bool


def _items(*rows: tuple[str, str, str] | tuple[str, str, str, bool]) -> list[ItemSpec]:
    return [
        {"code": row[0], "id": row[1], "en": row[2], "other": bool(row[3]) if len(row) > 3 else False} for row in rows
    ]


# name → list of versions: (version, effective_from, source, items)
CODE_LISTS: dict[str, list[tuple[int, date, str, list[ItemSpec]]]] = {
    "sex": [
        (1, date(2020, 1, 1), SOURCE_A, _items(("1", "Laki-laki", "Male"), ("2", "Perempuan", "Female"))),
    ],
    "age_group": [
        (
            1,
            date(2020, 1, 1),
            SOURCE_A + "; code 4 printed '34–44' in the source, read as 35–44",
            _items(
                ("1", "< 17 tahun", "Under 17"),
                ("2", "17–25 tahun", "17–25"),
                ("3", "26–34 tahun", "26–34"),
                ("4", "35–44 tahun", "35–44"),
                ("5", "45–54 tahun", "45–54"),
                ("6", "55–65 tahun", "55–65"),
                ("7", "> 65 tahun", "Over 65"),
            ),
        ),
    ],
    "education": [
        (
            1,
            date(2020, 1, 1),
            SOURCE_A,
            _items(
                ("1", "SLTA (≤SMA)", "Senior high school or below"),
                ("2", "D1/D2/D3", "Diploma (D1/D2/D3)"),
                ("3", "D4/S1", "Bachelor (D4/S1)"),
                ("4", "S2", "Master (S2)"),
                ("5", "S3", "Doctorate (S3)"),
            ),
        ),
    ],
    "occupation": [
        (
            1,
            date(2020, 1, 1),
            SOURCE_A,
            _items(
                ("1", "Pelajar/Mahasiswa", "Student"),
                ("2", "Peneliti/Dosen", "Researcher/Lecturer"),
                ("3", "ASN/TNI/Polri", "Civil servant/Military/Police"),
                ("4", "Pegawai BUMN/BUMD", "State/regional enterprise employee"),
                ("5", "Pegawai Swasta", "Private employee"),
                ("6", "Wiraswasta", "Self-employed"),
                ("7", "Lainnya", "Other", True),
            ),
        ),
    ],
    "institution_category": [
        (
            1,
            date(2020, 1, 1),
            SOURCE_A,
            _items(
                ("1", "Lembaga Negara", "State institution"),
                ("2", "Kementerian & Lembaga Pemerintah", "Ministry & government agency"),
                ("3", "TNI/Polri/BIN/Kejaksaan", "Military/Police/Intelligence/Prosecution"),
                ("4", "Pemerintah Daerah", "Local government"),
                ("5", "Lembaga Internasional", "International organisation"),
                ("6", "Lembaga Penelitian & Pendidikan", "Research & education institution"),
                ("7", "BUMN/BUMD", "State/regional enterprise"),
                ("8", "Swasta", "Private sector"),
                ("9", "Lainnya", "Other", True),
            ),
        ),
    ],
    "purpose": [
        (
            1,
            date(2020, 1, 1),
            SOURCE_A,
            _items(
                ("1", "Tugas Sekolah/Kuliah", "School/university assignment"),
                ("2", "Pemerintahan", "Government"),
                ("3", "Komersial", "Commercial"),
                ("4", "Penelitian", "Research"),
                ("5", "Lainnya", "Other", True),
            ),
        ),
    ],
    "disability_kind": [
        (
            1,
            date(2020, 1, 1),
            SOURCE_A,
            _items(
                ("1", "Fisik", "Physical"),
                ("2", "Intelektual", "Intellectual"),
                ("3", "Mental", "Mental"),
                ("4", "Sensorik", "Sensory"),
            ),
        ),
    ],
}


@transaction.atomic
def load_code_lists() -> int:
    """Create every listed code list version that is missing (never touching existing ones). Returns how many
    lists it created."""

    created = 0
    for name, versions in CODE_LISTS.items():
        for version, effective_from, source, items in versions:
            code_list, made = CodeList.objects.get_or_create(
                name=name, version=version, defaults={"effective_from": effective_from, "source": source[:300]}
            )
            if not made:
                continue
            created += 1
            CodeItem.objects.bulk_create(
                CodeItem(
                    code_list=code_list,
                    code=item["code"],
                    label={"id": item["id"], "en": item["en"]},
                    requires_text=item.get("other", False),
                    order=index,
                )
                for index, item in enumerate(items, start=1)
            )
    return created
