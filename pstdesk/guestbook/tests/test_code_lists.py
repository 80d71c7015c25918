from __future__ import annotations

from pstdesk.guestbook.actions import current_code_lists
from pstdesk.guestbook.models import CodeItem, CodeList
from pstdesk.guestbook.seeding import load_code_lists

EXPECTED = {
    "sex": ["Laki-laki", "Perempuan"],
    "age_group": [
        "< 17 tahun",
        "17–25 tahun",
        "26–34 tahun",
        "35–44 tahun",
        "45–54 tahun",
        "55–65 tahun",
        "> 65 tahun",
    ],
    "education": ["SLTA (≤SMA)", "D1/D2/D3", "D4/S1", "S2", "S3"],
    "occupation": [
        "Pelajar/Mahasiswa",
        "Peneliti/Dosen",
        "ASN/TNI/Polri",
        "Pegawai BUMN/BUMD",
        "Pegawai Swasta",
        "Wiraswasta",
        "Lainnya",
    ],
    "institution_category": [
        "Lembaga Negara",
        "Kementerian & Lembaga Pemerintah",
        "TNI/Polri/BIN/Kejaksaan",
        "Pemerintah Daerah",
        "Lembaga Internasional",
        "Lembaga Penelitian & Pendidikan",
        "BUMN/BUMD",
        "Swasta",
        "Lainnya",
    ],
    "purpose": ["Tugas Sekolah/Kuliah", "Pemerintahan", "Komersial", "Penelitian", "Lainnya"],
    "disability_kind": ["Fisik", "Intelektual", "Mental", "Sensorik"],
}


def test_version_1_of_every_list_is_loaded_after_migrate(db: None) -> None:
    lists = current_code_lists()
    assert set(lists) == set(EXPECTED)
    for name, labels in EXPECTED.items():
        items = list(lists[name].items.all())
        assert lists[name].version == 1
        assert [item.code for item in items] == [str(n) for n in range(1, len(labels) + 1)]
        assert [item.label["id"] for item in items] == labels
        assert all(item.label["en"] for item in items)


def test_only_lainnya_requires_text(db: None) -> None:
    other = CodeItem.objects.filter(requires_text=True).select_related("code_list")
    assert sorted((item.code_list.name, item.code) for item in other) == [
        ("institution_category", "9"),
        ("occupation", "7"),
        ("purpose", "5"),
    ]
    assert all(item.label["id"] == "Lainnya" for item in other)


def test_loading_again_changes_nothing(db: None) -> None:
    item = CodeItem.objects.get(code_list__name="sex", code="1")
    item.label = {"id": "Pria", "en": "Man"}  # an admin's edit must survive a later migrate
    item.save()
    before = (CodeList.objects.count(), CodeItem.objects.count())
    assert load_code_lists() == 0
    assert (CodeList.objects.count(), CodeItem.objects.count()) == before
    assert CodeItem.objects.get(pk=item.pk).label["id"] == "Pria"


def test_a_newer_effective_version_becomes_current(db: None) -> None:
    from datetime import date

    newer = CodeList.objects.create(name="purpose", version=2, effective_from=date(2021, 1, 1))
    CodeItem.objects.create(code_list=newer, code="1", label={"id": "Tugas", "en": "Assignment"})
    future = CodeList.objects.create(name="sex", version=2, effective_from=date(2999, 1, 1))
    CodeItem.objects.create(code_list=future, code="9", label={"id": "X", "en": "X"})
    lists = current_code_lists()
    assert lists["purpose"].version == 2
    assert lists["sex"].version == 1
