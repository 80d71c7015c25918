"""A known month for the report tests: November 2026 at Tabanan (5102), counted by hand.

Service hours Mon–Thu 08.00–16.00, Fri 08.00–16.30 WITA; Wednesday 18 November is an office closure (the
holiday of the month); the first-response target is 120 working minutes and the standard 3 working days.

| # | channel | topic | opened (WITA) | first response | working min | answered | working days | officer | rating |
|---|---|---|---|---|---|---|---|---|---|
| c1 | whatsapp | data | Mon 2 Nov 09.00 | 09.30 | 30 | Tue 3 Nov 10.00 | 1 | ayu | 5 "Sangat membantu" |
| c2 | email | metadata | Sat 7 Nov 10.00 (outside) | Mon 9 Nov 09.00 | 60 | Mon 9 Nov 15.00 | 0 | made | 4 |
| c3 | livechat_website | classification | Tue 17 Nov 15.00 | Thu 19 Nov 08.30 | 90 | Tue 24 Nov 09.00 | 4 | ayu | 2 |
| c4 | livechat_pfa | data | Fri 27 Nov 16.00 | — | — | — (due Wed 2 Dec 16.00) | — | — | — |
| c5 | whatsapp | data | Mon 30 Nov 20.00 (outside) | Tue 1 Dec 08.10 | 10 | Tue 1 Dec 10.00 | 0 | ayu | — |

c1 and c5 are one visitor, who also consulted in October (c0); c2's visitor consulted in November 2025 (the
year-earlier period): the month has 4 visitors, 2 returning. c4's visitor has no guestbook entry. c3 skips the
closed Wednesday; it was due Mon 23 Nov 16.00 (a breach, with a compensation case); its rating says "Lama sekali"
and that a gratuity was asked. Complaints: a complaint by the online form on 5 Nov, answered 24 hours later and
upheld; a suggestion in the box on 20 Nov, not answered.
Compensation: the breach's case opened 23 Nov (open); a case opened 24 Nov by hand, granted 25 Nov.
The report is made on 10 December 2026.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from pstdesk.accounts.models import User
from pstdesk.complaints.models import Breach, Compensation, CompensationStatus, Complaint
from pstdesk.complaints.policy import new_tracking_number
from pstdesk.complaints.tests.factories import make_consultation, make_visitor
from pstdesk.consultations.models import Consultation
from pstdesk.guestbook.models import GuestbookEntry, Visitor
from pstdesk.offices.models import OfficeClosure
from pstdesk.ratings.models import Rating

WITA = ZoneInfo("Asia/Makassar")
NOW = datetime(2026, 12, 10, 9, 0, tzinfo=WITA)


def wita(month: int, day: int, hour: int, minute: int = 0, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=WITA)


@dataclass
class Month:
    c: dict[int, Consultation]
    ayu: User
    made: User


def _entry(visitor: Visitor, **codes: Any) -> GuestbookEntry:
    fields = {
        "sex": "1",
        "age_group": "3",
        "education": "4",
        "occupation": "1",
        "institution_category": "1",
        "institution_name": "Universitas Udayana",
        "purpose": "1",
        **codes,
    }
    return GuestbookEntry.objects.create(visitor=visitor, office_id="5102", **fields)


def _consultation(visitor: Visitor, channel: str, topic: str, opened: datetime, **fields: Any) -> Consultation:
    c = make_consultation("5102", started=opened, visitor=visitor, channel=channel, topic=topic, created_at=opened)
    guestbook = visitor.guestbook_entries.order_by("-id").first()
    Consultation.objects.filter(pk=c.pk).update(guestbook_entry=guestbook, **fields)
    c.refresh_from_db()
    return c


def _rate(c: Consultation, score: int, at: datetime, **fields: Any) -> Rating:
    rating = Rating.objects.create(consultation=c, score=score, channel=c.channel, **fields)
    Rating.objects.filter(pk=rating.pk).update(created_at=at)
    return rating


def build_month(ayu: User, made: User) -> Month:
    OfficeClosure.objects.get_or_create(office_id="5102", date=date(2026, 11, 18), defaults={"reason": "Rapat kerja"})
    v1, v2, v3, v4 = (make_visitor() for _ in range(4))
    _entry(v1, sex="2", age_group="2", education="3", occupation="2", purpose="2")
    _entry(v2, sex="1", age_group="3")
    _entry(v3, sex="2", age_group="2", disability=True)
    c: dict[int, Consultation] = {}
    c[0] = _consultation(v1, "whatsapp", "data", wita(10, 15, 10))
    c[-1] = _consultation(v2, "email", "data", wita(11, 10, 10, year=2025))
    c[1] = _consultation(
        v1,
        "whatsapp",
        "data",
        wita(11, 2, 9),
        first_response_at=wita(11, 2, 9, 30),
        answered_at=wita(11, 3, 10),
        closed_at=wita(11, 3, 11),
        assigned_to=ayu,
        status="closed",
    )
    c[2] = _consultation(
        v2,
        "email",
        "metadata",
        wita(11, 7, 10),
        first_response_at=wita(11, 9, 9),
        answered_at=wita(11, 9, 15),
        closed_at=wita(11, 9, 16),
        assigned_to=made,
        status="closed",
    )
    c[3] = _consultation(
        v3,
        "livechat_website",
        "classification",
        wita(11, 17, 15),
        first_response_at=wita(11, 19, 8, 30),
        answered_at=wita(11, 24, 9),
        assigned_to=ayu,
        status="rated",
    )
    c[4] = _consultation(v4, "livechat_pfa", "data", wita(11, 27, 16))
    c[5] = _consultation(
        v1,
        "whatsapp",
        "data",
        wita(11, 30, 20),
        first_response_at=wita(12, 1, 8, 10),
        answered_at=wita(12, 1, 10),
        assigned_to=ayu,
        status="answered",
    )
    _rate(c[1], 5, wita(11, 3, 10, 30), feedback="Sangat membantu")
    _rate(c[2], 4, wita(11, 9, 15, 30))
    _rate(c[3], 2, wita(11, 24, 9, 30), feedback="Lama sekali", gratuity=True)
    breach = Breach.objects.create(
        consultation=c[3],
        office_id="5102",
        kind="resolution",
        due_at=c[3].due_at or NOW,
        detected_at=wita(11, 23, 16, 1),
    )
    case = Compensation.objects.create(office_id="5102", consultation=c[3], breach=breach, reason="Terlambat")
    Compensation.objects.filter(pk=case.pk).update(opened_at=wita(11, 23, 16, 1))
    granted = Compensation.objects.create(
        office_id="5102",
        reason="Pengaduan beralasan",
        status=CompensationStatus.GRANTED,
        given="Permohonan maaf",
        decided_at=wita(11, 25, 10),
    )
    Compensation.objects.filter(pk=granted.pk).update(opened_at=wita(11, 24, 10))
    complaint = Complaint.objects.create(
        office_id="5102",
        kind="complaint",
        source="online_form",
        tracking_number=new_tracking_number("5102"),
        text="Balasan lambat",
        status="answered",
        upheld=True,
        handled_at=wita(11, 6, 9),
    )
    Complaint.objects.filter(pk=complaint.pk).update(created_at=wita(11, 5, 9))
    suggestion = Complaint.objects.create(
        office_id="5102",
        kind="suggestion",
        source="box",
        tracking_number=new_tracking_number("5102"),
        text="Tambah jam",
    )
    Complaint.objects.filter(pk=suggestion.pk).update(created_at=wita(11, 20, 11))
    return Month(c=c, ayu=ayu, made=made)
