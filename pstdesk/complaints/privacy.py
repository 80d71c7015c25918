"""What the complaints keep of a visitor, as `guestbook.erasure` erases it (registered in `apps.ready`)."""

from __future__ import annotations

from django.db.models import Q

from pstdesk.complaints.models import Complaint, ComplaintNote
from pstdesk.guestbook.erasure import ERASED, redact


def erase_visitors(visitor_ids: list[int], consultation_ids: list[int], needles: set[str]) -> dict[str, int]:
    """Complaints the visitors made (linked to them or their consultations, or naming their address or number as
    the contact): the text and the contact are erased, the notes and the office's answer redacted; kind, source,
    status, dates and verdict stay for the reports."""
    query = Q(visitor_id__in=visitor_ids) | Q(consultation_id__in=consultation_ids)
    for needle in needles:
        query |= Q(contact__iexact=needle)
    complaints = list(Complaint.objects.filter(query).only("pk", "response"))
    for complaint in complaints:
        response, _hit = redact(complaint.response, needles)
        Complaint.objects.filter(pk=complaint.pk).update(text=ERASED, contact="", response=response)
    for note in ComplaintNote.objects.filter(complaint__in=[c.pk for c in complaints]).only("pk", "body"):
        body, hit = redact(note.body, needles)
        if hit:
            ComplaintNote.objects.filter(pk=note.pk).update(body=body)
    return {"complaints": len(complaints)}
