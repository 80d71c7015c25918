"""Did the first mail introduce its sender? (Jembrana's e-mail procedure, step 1: "name and institution/university".)

The heuristic, deliberately simple and documented so officers know what it accepts:
- a NAME: a display name in From with at least one word of two or more letters that is not a role word
  ("admin", "info", "noreply", …), or a phrase in the text such as "nama saya …", "saya …", "my name is …";
- an INSTITUTION: an institution-like word in the text or the From display name — universitas/university,
  institut, politeknik, sekolah/SMA/SMK/SMP, mahasiswa/student, dosen, peneliti, instansi, dinas, badan,
  kantor, kementerian, pemerintah/pemkab/pemprov/pemda, BPS, PT, CV, perusahaan, lembaga, yayasan, desa,
  kecamatan, rumah sakit, bank, koperasi, "dari BPS" — or "dari <Capitalised word>" / "from <Capitalised word>" after
  saya/kami/I/we. Institution words count only where the sender speaks of themself (a sentence with saya/kami/
  perkenalkan/I/we/my) or in the signature (the last four lines), so "minta data dinas X" alone is not an
  introduction; an address on an .ac.id, .sch.id or .go.id domain counts as an institution too.
Both are needed. A guestbook entry already filled for this office (with a name on the visitor) also satisfies it.
An officer can always set it by hand; this only saves asking people who already introduced themselves.
"""

from __future__ import annotations

import re
from typing import Any

from pstdesk.guestbook.models import GuestbookEntry
from pstdesk.guestbook.requirements import required_items

_ROLE_WORDS = {"admin", "info", "noreply", "no-reply", "support", "office", "kantor", "user", "mail", "email"}
_NAME_IN_TEXT = re.compile(
    r"\b(nama\s+saya|perkenalkan,?\s+(nama\s+)?saya|saya\s+bernama|my\s+name\s+is|i\s+am|i'm)\s+[A-Za-zÀ-ÿ]{2,}",
    re.IGNORECASE,
)
_INSTITUTION = re.compile(
    r"\b(universitas|university|univ\.|institut|institute|politeknik|polytechnic|sekolah|sma|smk|smp|madrasah|"
    r"mahasiswa|mahasiswi|student|dosen|lecturer|peneliti|researcher|instansi|dinas|badan|kantor|kementerian|"
    r"ministry|pemerintah|pemkab|pemprov|pemda|(dari|from|di|at)\s+bps|pt|cv|perusahaan|company|lembaga|yayasan|desa|kecamatan|"
    r"rumah\s+sakit|bank|koperasi|stikes|stie|akademi|fakultas|faculty|college)\b",
    re.IGNORECASE,
)
_FROM_PLACE = re.compile(r"\b(saya|kami|i|we)\b[^.\n]{0,60}?\b(dari|from)\s+[A-Z]", re.IGNORECASE)
_FROM_PLACE_CASE = re.compile(r"\b(dari|from)\s+[A-Z]")
_SELF = re.compile(r"\b(saya|kami|aku|perkenalkan|i|i'm|we|my|our)\b", re.IGNORECASE)
_INSTITUTION_DOMAINS = (".ac.id", ".sch.id", ".go.id", ".edu", ".ac.uk")


def _has_name(from_name: str, text: str) -> bool:
    words = [w for w in re.findall(r"[A-Za-zÀ-ÿ]{2,}", from_name or "") if w.lower() not in _ROLE_WORDS]
    return bool(words) or bool(_NAME_IN_TEXT.search(text))


def _self_description(text: str) -> str:
    """The sentences where the sender speaks of themself, plus the signature (the last four lines of
    the last paragraph, when there is more than one)."""
    sentences = re.split(r"(?<=[.!?])\s+|\n", text)
    own = [s for s in sentences if _SELF.search(s)]
    paragraphs = [p for p in re.split(r"\n\s*\n", text.strip()) if p.strip()]
    signature = paragraphs[-1].splitlines()[-4:] if len(paragraphs) > 1 else []
    return "\n".join(own + signature)


def _has_institution(from_name: str, from_address: str, text: str) -> bool:
    text = _self_description(text)
    if _INSTITUTION.search(text) or _INSTITUTION.search(from_name or ""):
        return True
    for match in _FROM_PLACE.finditer(text):
        if _FROM_PLACE_CASE.search(match.group(0)):
            return True
    domain = (from_address or "").rsplit("@", 1)[-1].lower()
    return domain.endswith(_INSTITUTION_DOMAINS)


def introduces_sender(*, from_name: str, from_address: str, text: str) -> bool:
    return _has_name(from_name, text) and _has_institution(from_name, from_address, text)


def introduction_satisfied(consultation: Any, *, from_name: str, from_address: str, text: str) -> bool:

    if introduces_sender(from_name=from_name, from_address=from_address, text=text):
        return True
    visitor = consultation.visitor
    return (
        bool(visitor.name) and GuestbookEntry.objects.filter(visitor=visitor, office_id=consultation.office_id).exists()
    )


def introduction_required(consultation: Any) -> bool:
    return "introduction" in required_items(consultation.office.standard, consultation.channel)
