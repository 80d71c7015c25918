"""What the LiveChat channel keeps of a visitor outside their consultations: widget sessions, deleted on erasure
(registered with `guestbook.erasure` in this app's `ready`)."""

from __future__ import annotations

from pstdesk.channels.web.models import WidgetSession


def erase_visitors(visitor_ids: list[int], consultation_ids: list[int], needles: set[str]) -> dict[str, int]:
    return {"widget_sessions": WidgetSession.objects.filter(visitor_id__in=visitor_ids).delete()[0]}
