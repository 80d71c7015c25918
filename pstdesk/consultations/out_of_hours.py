"""The automatic reply to a visitor who writes outside service hours.

`out_of_hours_reply` decides whether a reply is due and returns its text; the consultations actions post it as an
automatic message in the visitor's channel (`post_automatic_message`) and set `last_auto_reply_at`. The rules:

- only when the office is closed at `now` (outside hours, weekend, holiday, cuti bersama, closure);
- never to an auto-submitted message (RFC 3834 `Auto-Submitted`, vacation replies, bounces): no mail loops;
- at most once per office-local day per consultation (`last_auto_reply_at`, confirmed against the stored
  messages: only an earlier out-of-hours reply counts, not a guestbook prompt or a rating request);
- not when an officer wrote to the visitor in the last `RECENT_OFFICER_REPLY` (`last_outbound_at`, confirmed
  against the stored messages: automatic messages do not count): a human is already there, a robot would
  contradict them.

The text gives the office's service hours and when the message will be served (the next opening, in the office's
zone), in Indonesian, or in English when the visitor's language is English.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING

from pstdesk.consultations.models import Consultation, Direction, Message, MessageKind
from pstdesk.lib import workdays
from pstdesk.lib.workdays import WEEKDAY_KEYS, WorkCalendar
from pstdesk.offices.calendar import calendar_for, years_for

if TYPE_CHECKING:
    from pstdesk.consultations.models import Consultation

RECENT_OFFICER_REPLY = timedelta(minutes=10)
# The payload the caller gives the automatic message (`post_automatic_message(..., payload=OUT_OF_HOURS_PAYLOAD)`),
# so the once-a-day rule counts out-of-hours replies only, not guestbook prompts or rating requests.
OUT_OF_HOURS_KEY = "out_of_hours"
OUT_OF_HOURS_PAYLOAD = {OUT_OF_HOURS_KEY: True}

# The reply goes out in the visitor's language, not the request's: both texts are here rather than in a message
# catalog, so the English reply never depends on a compiled translation file.
_REPLY = {
    "id": (
        "Terima kasih telah menghubungi Pelayanan Statistik Terpadu (PST). Saat ini di luar jam pelayanan. "
        "Jam pelayanan: %(hours)s, kecuali hari libur nasional, cuti bersama dan hari libur kantor. Pesan Anda "
        "sudah kami terima dan akan dilayani mulai %(opening)s."
    ),
    "en": (
        "Thank you for contacting the Integrated Statistical Service (PST). We are outside service hours now. "
        "Service hours: %(hours)s, except national holidays, collective leave days and office closures. We have "
        "received your message and will serve it from %(opening)s."
    ),
}
_DAY_NAMES = {
    "id": ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu"),
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
}
_MONTH_NAMES = {
    "id": (
        "Januari",
        "Februari",
        "Maret",
        "April",
        "Mei",
        "Juni",
        "Juli",
        "Agustus",
        "September",
        "Oktober",
        "November",
        "Desember",
    ),
    "en": (
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ),
}
# Indonesian usage writes times with a dot (08.00); the zone abbreviation is the official one where known.
_ZONE_NAMES = {"Asia/Jakarta": "WIB", "Asia/Pontianak": "WIB", "Asia/Makassar": "WITA", "Asia/Jayapura": "WIT"}


def _lang(code: str | None) -> str:
    return "en" if (code or "").lower().startswith("en") else "id"


def zone_label(cal: WorkCalendar) -> str:
    return _ZONE_NAMES.get(str(cal.zone), str(cal.zone))


def _clock(moment_time: object, lang: str) -> str:
    text: str = moment_time.strftime("%H:%M")  # type: ignore[attr-defined]
    return text.replace(":", ".") if lang == "id" else text


def format_moment(moment: datetime, cal: WorkCalendar, lang: str) -> str:
    """ "Senin, 23 November 2026 pukul 08.00 WITA" / "Monday, 23 November 2026 at 08:00 WITA"."""
    local = moment.astimezone(cal.zone)
    day = _DAY_NAMES[lang][local.weekday()]
    month = _MONTH_NAMES[lang][local.month - 1]
    joiner = "pukul" if lang == "id" else "at"
    return f"{day}, {local.day} {month} {local.year} {joiner} {_clock(local.time(), lang)} {zone_label(cal)}"


def format_hours(cal: WorkCalendar, lang: str) -> str:
    """The weekly hours, grouping equal consecutive days: "Senin–Kamis 08.00–16.00 WITA; Jumat 08.00–16.30 WITA"."""
    groups: list[tuple[int, int, tuple[time, time]]] = []
    for weekday in range(len(WEEKDAY_KEYS)):
        span = cal.hours.get(weekday)
        if span is None:
            continue
        if groups and groups[-1][2] == span and groups[-1][1] == weekday - 1:
            groups[-1] = (groups[-1][0], weekday, span)
        else:
            groups.append((weekday, weekday, span))
    names = _DAY_NAMES[lang]
    parts = []
    for first, last, (opening, closing) in groups:
        days = names[first] if first == last else f"{names[first]}–{names[last]}"
        parts.append(f"{days} {_clock(opening, lang)}–{_clock(closing, lang)} {zone_label(cal)}")
    return "; ".join(parts)


def _confirmed(consultation: object, *, automatic: bool, since: datetime) -> bool:
    """Whether the message behind a timestamp is the kind the rule means.

    `last_auto_reply_at` and `last_outbound_at` are stamped by every automatic message (guestbook prompts,
    rating requests) too, so for a stored consultation the messages decide: an automatic message marked
    `OUT_OF_HOURS_PAYLOAD`, or a message an officer wrote. Objects that are not stored consultations (pure tests,
    previews) are judged by the timestamps alone.
    """

    if not isinstance(consultation, Consultation) or consultation.pk is None:
        return True
    messages = Message.objects.filter(consultation_id=consultation.pk, direction=Direction.OUT, created_at__gte=since)
    if automatic:
        return messages.filter(is_automatic=True, **{f"payload__{OUT_OF_HOURS_KEY}": True}).exists()
    return messages.filter(is_automatic=False, kind=MessageKind.MESSAGE).exists()


def out_of_hours_reply(
    consultation: Consultation, *, now: datetime, auto_submitted: bool, cal: WorkCalendar | None = None
) -> str | None:
    """The automatic reply text for a visitor message arriving at `now`, or None when no reply is due (see the
    module docstring for the rules). Reads the office's calendar unless `cal` is given; writes nothing."""
    if auto_submitted:
        return None
    if cal is None:
        cal = calendar_for(consultation.office, years=years_for(now))
    if workdays.is_open(cal, now):
        return None
    local_day_start = datetime.combine(now.astimezone(cal.zone).date(), time(0), tzinfo=cal.zone)
    last_auto = consultation.last_auto_reply_at
    if (
        last_auto is not None
        and last_auto >= local_day_start
        and _confirmed(consultation, automatic=True, since=local_day_start)
    ):
        return None
    last_out = consultation.last_outbound_at
    if (
        last_out is not None
        and now - last_out < RECENT_OFFICER_REPLY
        and _confirmed(consultation, automatic=False, since=now - RECENT_OFFICER_REPLY)
    ):
        return None
    lang = _lang(getattr(consultation.visitor, "language", None))
    opening = workdays.next_opening(cal, now)
    return _REPLY[lang] % {"hours": format_hours(cal, lang), "opening": format_moment(opening, cal, lang)}
