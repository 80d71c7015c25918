"""The first compensation options of offices whose standard promises compensation, set only where an office has
none (an administrator's list is never touched). Runs after every migrate (and test flush) through post_migrate,
after the offices app loaded its seeds.

The standards say only that compensation "can be given per the rules" (Tabanan's service guarantee); these
options are a starting list for the office to edit in the admin."""

from __future__ import annotations

from pstdesk.complaints.models import CompensationOption
from pstdesk.offices.models import Office

DEFAULT_OPTIONS = [
    (
        "Permohonan maaf tertulis dari penanggung jawab pelayanan",
        "Surat atau pesan resmi yang mengakui pelayanan tidak sesuai standar.",
    ),
    (
        "Layanan prioritas: permintaan dijawab paling lambat 1 hari kerja",
        "Permintaan data berikutnya dari pengguna yang sama didahulukan.",
    ),
    (
        "Konsultasi langsung dengan petugas senior atau fungsional statistisi",
        "Sesi konsultasi terjadwal untuk menuntaskan kebutuhan data pengguna.",
    ),
]


def load_compensation_options() -> int:
    """Create the default options for each office whose standard in force has compensation text and no option
    yet. Returns how many rows it made."""
    made = 0
    for office in Office.objects.all():
        standard = office.standard
        if standard is None or not any((standard.compensation or {}).values()):
            continue
        if CompensationOption.objects.filter(office=office).exists():
            continue
        basis = str((standard.compensation or {}).get("id", ""))
        for position, (label, description) in enumerate(DEFAULT_OPTIONS, start=1):
            CompensationOption.objects.create(
                office=office, label=label, description=f"{description} {basis}".strip(), position=position
            )
            made += 1
    return made
