"""The monthly and annual schedule: from 08.00 office time on the first working day each office's report is
stored and e-mailed once to its service managers (the province's subtree report to the province's managers),
even when two workers run at the same moment; stored reports are versions that never change."""

from __future__ import annotations

import threading
from datetime import datetime

import pytest
import time_machine
from django.core import mail
from django.db import connection

from pstdesk.accounts.models import Role
from pstdesk.audit.models import AuditLog
from pstdesk.conftest import make_user
from pstdesk.consultations.models import Consultation
from pstdesk.lib.actors import SystemActor
from pstdesk.offices.models import Office
from pstdesk.reports.actions import store_report
from pstdesk.reports.models import ReportDelivery, ReportSnapshot, ScheduledRun
from pstdesk.reports.periods import parse_period
from pstdesk.reports.schedule import first_working_day, run_scheduled_reports
from pstdesk.reports.tests.month import WITA, build_month
from pstdesk.testing.browser import use_file_test_database

use_file_test_database()  # the two-worker test runs workers in threads that share the test database


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def managers(db):
    return {
        "5102": make_user("pj5102", "5102", Role.MANAGER),
        "5101": make_user("pj5101", "5101", Role.MANAGER),
        "5100": make_user("pj5100", "5100", Role.MANAGER),
    }


def sent_to() -> list[tuple[str, str]]:
    return sorted((message.to[0], message.subject.split(" (")[0]) for message in mail.outbox)


@pytest.mark.django_db
def test_first_working_day_of_the_month_at_eight_sends_each_office_once(managers, officer_5102, officer2_5102):
    build_month(officer_5102, officer2_5102)
    with time_machine.travel(datetime(2026, 12, 1, 7, 59, tzinfo=WITA), tick=False):
        assert run_scheduled_reports() == 0
    assert not mail.outbox and not ReportSnapshot.objects.exists()
    with time_machine.travel(datetime(2026, 12, 1, 8, 0, tzinfo=WITA), tick=False):
        assert run_scheduled_reports() == 3  # 5100, 5101, 5102 (WITA); BPS RI 0000 is in WIB, still 07.00 there
        assert run_scheduled_reports() == 0
    with time_machine.travel(datetime(2026, 12, 1, 9, 0, tzinfo=WITA), tick=False):
        assert run_scheduled_reports() == 1  # 0000 at 08.00 WIB
        assert run_scheduled_reports() == 0
    with time_machine.travel(datetime(2026, 12, 9, 10, 0, tzinfo=WITA), tick=False):
        assert run_scheduled_reports() == 0
    assert sent_to() == [
        ("pj5100@example.test", "Laporan evaluasi kinerja pelayanan 5100 BPS Provinsi Bali November 2026"),
        ("pj5101@example.test", "Laporan evaluasi kinerja pelayanan 5101 BPS Kabupaten Jembrana November 2026"),
        ("pj5102@example.test", "Laporan evaluasi kinerja pelayanan 5102 BPS Kabupaten Tabanan November 2026"),
    ]
    tabanan = ReportSnapshot.objects.get(office_id="5102")
    assert (tabanan.kind, tabanan.version, tabanan.subtree) == ("monthly", 1, False)
    assert tabanan.figures["consultations"]["opened"] == 5
    province = ReportSnapshot.objects.get(office_id="5100")
    assert province.subtree and province.figures["consultations"]["opened"] == 5
    message = next(m for m in mail.outbox if m.to == ["pj5102@example.test"])
    names = [attachment[0] for attachment in message.attachments]
    assert names == ["laporan-5102-2026-11.pdf", "laporan-5102-2026-11.xlsx"]
    assert message.attachments[0][1].startswith(b"%PDF")
    delivery = ReportDelivery.objects.get(snapshot=tabanan)
    assert delivery.recipient == managers["5102"] and delivery.email == "pj5102@example.test"
    assert AuditLog.objects.filter(verb="send_report").count() == 3


@pytest.mark.django_db
def test_january_waits_for_the_first_working_day_and_adds_the_annual_report(managers):
    # 1 January 2027 is a Friday and New Year's Day; the 2nd and 3rd are a weekend: Monday the 4th is the first.
    assert first_working_day(Office.objects.get(code="5102"), datetime(2027, 1, 1).date()).isoformat() == "2027-01-04"
    with time_machine.travel(datetime(2027, 1, 1, 9, 0, tzinfo=WITA), tick=False):
        assert run_scheduled_reports() == 0
    with time_machine.travel(datetime(2027, 1, 4, 8, 0, tzinfo=WITA), tick=False):
        assert run_scheduled_reports() == 6  # monthly and annual of 5100, 5101, 5102 (0000 follows at 08.00 WIB)
    kinds = sorted(ReportSnapshot.objects.filter(office_id="5102").values_list("kind", "period_start", "period_end"))
    assert [(k, str(a), str(b)) for k, a, b in kinds] == [
        ("annual", "2026-01-01", "2026-12-31"),
        ("monthly", "2026-12-01", "2026-12-31"),
    ]
    assert len([m for m in mail.outbox if m.to == ["pj5102@example.test"]]) == 2


@pytest.mark.django_db(transaction=True)
def test_two_workers_at_the_same_moment_send_once(managers):
    barrier = threading.Barrier(2)
    results: list[int] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            barrier.wait(timeout=10)
            results.append(run_scheduled_reports(datetime(2026, 12, 1, 8, 0, tzinfo=WITA)))
        except BaseException as exc:  # reported below: a thread's exception would otherwise vanish
            errors.append(exc)
        finally:
            connection.close()

    with time_machine.travel(datetime(2026, 12, 1, 8, 0, tzinfo=WITA), tick=False):
        threads = [threading.Thread(target=worker) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
    assert not errors, errors
    assert sorted(results) == [0, 3] or sum(results) == 3  # the work may be shared, never repeated
    assert ScheduledRun.objects.filter(finished_at__isnull=False).count() == 3
    assert ReportSnapshot.objects.count() == 3
    assert sorted(message.to[0] for message in mail.outbox) == [
        "pj5100@example.test",
        "pj5101@example.test",
        "pj5102@example.test",
    ]


@pytest.mark.django_db
def test_a_stored_report_never_changes_and_regenerating_makes_a_new_version(officer_5102, officer2_5102, settings):
    month = build_month(officer_5102, officer2_5102)
    office = Office.objects.get(code="5102")
    with time_machine.travel(datetime(2026, 12, 10, 9, 0, tzinfo=WITA), tick=False):
        first = store_report(office, period=parse_period("2026-11"), by=officer_5102)
        Consultation.objects.filter(pk=month.c[4].pk).delete()  # a later correction of the data
        second = store_report(office, period=parse_period("2026-11"), by=SystemActor("reports"))
    first.refresh_from_db()
    assert (first.version, second.version) == (1, 2)
    assert first.figures["consultations"]["opened"] == 5
    assert second.figures["consultations"]["opened"] == 4
    assert first.created_by == officer_5102 and second.created_by_label == "system:reports"
    with first.pdf.open("rb") as handle:
        assert handle.read().startswith(b"%PDF")


def test_the_periodic_task_runs_every_hour_on_the_hour():
    """The consumers (`pstdesk worker`, and the one embedded in `pstdesk serve`) enqueue what `read_periodic`
    returns for the current minute."""
    from huey.contrib.djhuey import HUEY

    from pstdesk.reports import tasks

    def due(hour: int, minute: int) -> bool:
        names = {task.name for task in HUEY.read_periodic(datetime(2026, 12, 1, hour, minute))}
        return tasks.send_scheduled_reports.task_class.__name__ in names

    assert due(0, 0) and due(1, 0) and not due(0, 5)


@pytest.mark.django_db(transaction=True)
def test_two_worker_processes_send_once_through_a_real_smtp_server(managers, tmp_path):
    """Two `pstdesk` processes at the same moment against the same database and a real SMTP server."""
    import os
    import subprocess
    import sys

    from pstdesk.channels.email.tests.servers import SmtpServer

    settings_dict = connection.settings_dict
    if connection.vendor == "sqlite":
        url = f"sqlite:///{settings_dict['NAME']}"
    else:
        url = "postgres://{USER}@{HOST}:{PORT}/{NAME}".format(
            **{k: settings_dict[k] or "" for k in ("USER", "HOST", "PORT", "NAME")}
        )
        if settings_dict.get("PASSWORD"):
            url = url.replace("@", f":{settings_dict['PASSWORD']}@", 1)
    smtp = SmtpServer().start()
    try:
        env = {k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "DATABASE_URL"}}
        env.update(
            DATABASE_URL=url,
            DATA_DIR=str(tmp_path),
            EMAIL_HOST="127.0.0.1",
            EMAIL_PORT=str(smtp.port),
            TASKS_IMMEDIATE="true",
            # The test database holds the demo WhatsApp ids: the start-up check wants their secrets.
            WHATSAPP_APP_SECRET="s",
            WHATSAPP_ACCESS_TOKEN="t",
            WHATSAPP_VERIFY_TOKEN="v",
        )
        command = [sys.executable, "-m", "pstdesk.cli", "send_scheduled_reports", "--now", "2026-12-01T08:00+08:00"]
        workers = [
            subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for _ in range(2)
        ]
        outputs = [worker.communicate(timeout=300) for worker in workers]
    finally:
        smtp.stop()
    assert [worker.returncode for worker in workers] == [0, 0], outputs
    sent = sorted(int(out.split()[0]) for out, _err in outputs)
    assert sum(sent) == 3, outputs
    recipients = sorted(address for received in smtp.sink.messages for address in received.rcpt_tos)
    assert recipients == ["pj5100@example.test", "pj5101@example.test", "pj5102@example.test"]
    subjects = sorted(received.message["Subject"] for received in smtp.sink.messages)
    assert all("November 2026 (versi 1)" in subject for subject in subjects), subjects
    assert ReportSnapshot.objects.count() == 3 and ReportDelivery.objects.count() == 3
