"""State changes of the reports app: storing a report as an immutable snapshot (a new version each time) and
sending a snapshot to the office's service managers, each recorded in the audit trail."""

from __future__ import annotations

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from pstdesk.accounts.models import Role, User
from pstdesk.audit.actions import record
from pstdesk.lib.actors import Actor, actor_label, is_user
from pstdesk.offices.models import Office
from pstdesk.reports.exports import CONTENT_TYPES, file_name, render
from pstdesk.reports.figures import build_report
from pstdesk.reports.models import ReportDelivery, ReportKind, ReportSnapshot
from pstdesk.reports.periods import Period


def store_report(
    office: Office, *, period: Period, kind: str = ReportKind.AD_HOC, subtree: bool = False, by: Actor
) -> ReportSnapshot:
    """Compute the report now and keep it: the figures as JSON and the PDF, XLSX and CSV files rendered from them,
    as the next version of (office, subtree, kind, period). Snapshots are never changed afterwards."""
    with override("id"):  # the archived files are the official Indonesian report
        figures = build_report(office, period, subtree=subtree)
        files = {fmt: render(figures, fmt) for fmt in ("pdf", "xlsx", "csv")}
    for _attempt in range(3):
        try:
            with transaction.atomic():
                latest = ReportSnapshot.objects.filter(
                    office=office, subtree=subtree, kind=kind, period_start=period.first, period_end=period.last
                ).aggregate(v=Max("version"))["v"]
                snapshot = ReportSnapshot(
                    office=office,
                    subtree=subtree,
                    kind=kind,
                    period_start=period.first,
                    period_end=period.last,
                    version=(latest or 0) + 1,
                    figures=figures,
                    created_by=by if is_user(by) else None,
                    created_by_label=actor_label(by),
                )
                snapshot.pdf.save(file_name(figures, "pdf"), ContentFile(files["pdf"]), save=False)
                snapshot.xlsx.save(file_name(figures, "xlsx"), ContentFile(files["xlsx"]), save=False)
                snapshot.csv_zip.save(file_name(figures, "csv"), ContentFile(files["csv"]), save=False)
                snapshot.save()
                record(
                    "store_report",
                    snapshot,
                    by=by,
                    office=office,
                    after={"kind": kind, "period": period.key, "subtree": subtree, "version": snapshot.version},
                )
                return snapshot
        except IntegrityError:
            continue  # another process took this version number at the same moment: take the next
    raise RuntimeError("could not store the report after 3 attempts")


def report_recipients(office: Office) -> list[User]:
    """The office's service managers (active, with an e-mail address)."""
    return list(
        User.objects.filter(office=office, role=Role.MANAGER, is_active=True).exclude(email="").order_by("username")
    )


def send_report(snapshot: ReportSnapshot, *, by: Actor, recipients: list[User] | None = None) -> list[ReportDelivery]:
    """E-mail the snapshot (PDF and XLSX attached) to each recipient who has not received this version yet, and
    record who received which version when."""
    recipients = report_recipients(snapshot.office) if recipients is None else recipients
    done = set(snapshot.deliveries.values_list("email", flat=True))
    figures = snapshot.figures
    subject = _("Laporan evaluasi kinerja pelayanan %(office)s %(period)s (versi %(version)s)") % {
        "office": f"{snapshot.office_id} {snapshot.office.name}",
        "period": figures["period"]["label"],
        "version": snapshot.version,
    }
    deliveries = []
    for user in recipients:
        if user.email in done:
            continue
        with override("id"):
            body = _(
                "Yth. penanggung jawab pelayanan,\n\nTerlampir laporan evaluasi kinerja pelayanan %(office)s untuk "
                "periode %(period)s: %(opened)s konsultasi masuk, %(ratings)s penilaian, %(complaints)s pengaduan.\n\n"
                "Arsip laporan: %(url)s\n"
            ) % {
                "office": snapshot.office.name,
                "period": figures["period"]["label"],
                "opened": figures["consultations"]["opened"],
                "ratings": figures["ratings"]["count"],
                "complaints": figures["complaints"]["received"],
                "url": settings.PUBLIC_URL.rstrip("/") + "/laporan/arsip/",
            }
        message = EmailMessage(subject=subject, body=body, to=[user.email])
        for field, fmt in ((snapshot.pdf, "pdf"), (snapshot.xlsx, "xlsx")):
            with field.open("rb") as handle:
                message.attach(file_name(figures, fmt), handle.read(), CONTENT_TYPES[fmt])
        message.send()
        with transaction.atomic():
            delivery, _created = ReportDelivery.objects.get_or_create(
                snapshot=snapshot, email=user.email, defaults={"recipient": user, "sent_at": timezone.now()}
            )
            record("send_report", snapshot, by=by, office=snapshot.office, after={"to": user.email})
        deliveries.append(delivery)
    return deliveries
