"""Existing complaints join the register: a tracking number each, the old "website" channel read as SP4N-LAPOR!
(the only website the form-era rows could name), "handled" read as answered (shown on the tracking page), and a
follow-up deadline of 5 working days after receipt (Monday–Friday, national holidays and cuti bersama excluded)."""

import secrets
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.db import migrations

ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"


def _due(received, zone_name, hours):
    import holidays

    zone = ZoneInfo(zone_name or "Asia/Makassar")
    local = received.astimezone(zone)
    keys = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    table = holidays.country_holidays(
        "ID", years=range(local.year - 1, local.year + 2), categories=(holidays.PUBLIC, holidays.GOVERNMENT)
    )

    def worked(day):
        return bool(hours.get(keys[day.weekday()])) and day not in table

    day, left = local.date(), 5
    while left:
        day += timedelta(days=1)
        if worked(day):
            left -= 1
    closing = (hours.get(keys[day.weekday()]) or ["08:00", "16:00"])[1]
    hh, mm = (int(x) for x in closing.split(":"))
    return datetime(day.year, day.month, day.day, hh, mm, tzinfo=zone)


def forwards(apps, schema_editor):
    Complaint = apps.get_model("complaints", "Complaint")
    ServiceStandard = apps.get_model("offices", "ServiceStandard")
    Office = apps.get_model("offices", "Office")
    used = set(Complaint.objects.exclude(tracking_number=None).values_list("tracking_number", flat=True))
    for complaint in Complaint.objects.filter(tracking_number=None).iterator():
        while True:
            number = f"PGD-{complaint.office_id}-" + "".join(secrets.choice(ALPHABET) for _ in range(6))
            if number not in used:
                used.add(number)
                break
        standard = ServiceStandard.objects.filter(office_id=complaint.office_id).order_by("-version").first()
        office = Office.objects.get(pk=complaint.office_id)
        hours = (standard.service_hours if standard else None) or {k: ["08:00", "16:00"] for k in ("mon", "tue", "wed", "thu", "fri")}
        complaint.tracking_number = number
        complaint.due_at = complaint.due_at or _due(complaint.created_at, office.timezone, hours)
        if complaint.source == "website":
            complaint.source = "lapor"
        if complaint.status == "handled":
            complaint.status = "answered"
            complaint.reply_via = "tracking"
        complaint.save(update_fields=["tracking_number", "due_at", "source", "status", "reply_via"])


class Migration(migrations.Migration):
    dependencies = [
        ("complaints", "0004_complaint_register_and_compensation_options"),
        ("offices", "0001_initial"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
