"""Pages of the complaints app: the supervision hub (`/pengawasan/`: the complaint queue, breaches and compensation
cases of the visible offices), one complaint (assign, notes, answer), recording a complaint received elsewhere,
turning a consultation's message into one, the manager's compensation decision, and the public side: the
complaint form (`/pengaduan/<office>/`) and the tracking page (`/pengaduan/lacak/<number>/`).

Thin views: they read, check access through `accounts.access` (404 for missing and forbidden alike), and call
the actions; a `DomainError` becomes the form's error message with nothing changed.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import F
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from pstdesk.accounts.access import acting_user, get_office_for, visible_offices
from pstdesk.accounts.models import Role, User
from pstdesk.audit.models import trail_of
from pstdesk.complaints import throttle
from pstdesk.complaints.access import get_complaint_for
from pstdesk.complaints.actions import (
    COMPLAINT_MAX_CHARS,
    add_complaint_note,
    assign_complaint,
    can_decide_compensation,
    decide_compensation,
    file_complaint,
    file_complaint_from_message,
    handle_complaint,
    open_compensation,
    set_lapor_stage,
)
from pstdesk.complaints.models import (
    OPEN_STATUSES,
    Breach,
    Compensation,
    CompensationOption,
    CompensationStatus,
    Complaint,
    ComplaintKind,
    ComplaintSource,
    ComplaintStatus,
    LaporStage,
)
from pstdesk.complaints.policy import normalize_tracking_number, offered_sources, tracking_url
from pstdesk.consultations.access import get_consultation_for
from pstdesk.consultations.models import Consultation, Direction, Message, MessageKind
from pstdesk.lib.actors import ChannelActor
from pstdesk.lib.errors import DomainError
from pstdesk.lib.proxies import client_ip
from pstdesk.offices.models import Office

SUPERVISING_ROLES = {Role.SUPERVISOR, Role.MANAGER, Role.ADMIN}
LIST_LIMIT = 100


def _supervisor_offices(request: HttpRequest) -> Any:
    """The offices the user supervises; 404 for anyone who supervises nothing (officers included)."""
    user = request.user
    if not (user.is_superuser or getattr(user, "role", None) in SUPERVISING_ROLES):
        raise Http404("Not found")
    offices = visible_offices(user)
    code = request.GET.get("office")
    if code:
        offices = offices.filter(code=get_office_for(user, code).code)
    return offices


class DecisionForm(forms.Form):
    granted = forms.TypedChoiceField(
        label=gettext_lazy("Keputusan"),
        choices=[("yes", gettext_lazy("Diberikan")), ("no", gettext_lazy("Ditolak"))],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
    )
    option = forms.ModelChoiceField(
        queryset=CompensationOption.objects.none(),
        label=gettext_lazy("Kompensasi yang diberikan"),
        required=False,
        widget=forms.RadioSelect,
    )
    given = forms.CharField(
        label=gettext_lazy("Keterangan kompensasi (opsional, atau bila tidak ada pilihan yang sesuai)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    reason = forms.CharField(label=gettext_lazy("Alasan"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)

    def __init__(self, *args: Any, office: Office, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["option"].queryset = CompensationOption.objects.filter(office=office, active=True)  # type: ignore[attr-defined]


class OpenCompensationForm(forms.Form):
    office = forms.ModelChoiceField(queryset=Office.objects.none(), label=gettext_lazy("Kantor"))
    consultation = forms.IntegerField(
        label=gettext_lazy("Nomor konsultasi (PST#, opsional)"), required=False, min_value=1
    )
    reason = forms.CharField(label=gettext_lazy("Alasan"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)

    def __init__(self, *args: Any, offices: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["office"].queryset = offices  # type: ignore[attr-defined]


class QueueFilter(forms.Form):
    """The complaint queue's filters (GET)."""

    status = forms.ChoiceField(
        label=gettext_lazy("Status"),
        required=False,
        choices=[("", gettext_lazy("Belum dijawab")), ("all", gettext_lazy("Semua")), *ComplaintStatus.choices],
    )
    source = forms.ChoiceField(
        label=gettext_lazy("Sumber"), required=False, choices=[("", gettext_lazy("Semua")), *ComplaintSource.choices]
    )
    kind = forms.ChoiceField(
        label=gettext_lazy("Jenis"), required=False, choices=[("", gettext_lazy("Semua")), *ComplaintKind.choices]
    )
    assignee = forms.ChoiceField(
        label=gettext_lazy("Petugas"),
        required=False,
        choices=[("", gettext_lazy("Semua")), ("me", gettext_lazy("Saya")), ("none", gettext_lazy("Belum ditugaskan"))],
    )
    overdue = forms.BooleanField(label=gettext_lazy("Lewat batas waktu"), required=False)


def complaint_queue(user: Any, offices: Any, params: QueueFilter) -> Any:
    """The complaints of `offices` matching the filters, the nearest deadline first (one query)."""
    rows = Complaint.objects.filter(office__in=offices).select_related("office", "assigned_to")
    data = params.cleaned_data if params.is_valid() else {}
    status = data.get("status", "")
    if status == "":
        rows = rows.filter(status__in=OPEN_STATUSES)
    elif status != "all":
        rows = rows.filter(status=status)
    if data.get("source"):
        rows = rows.filter(source=data["source"])
    if data.get("kind"):
        rows = rows.filter(kind=data["kind"])
    if data.get("assignee") == "me":
        rows = rows.filter(assigned_to=user)
    elif data.get("assignee") == "none":
        rows = rows.filter(assigned_to__isnull=True)
    if data.get("overdue"):
        rows = rows.filter(status__in=OPEN_STATUSES, due_at__lt=timezone.now())
    return rows.order_by(F("due_at").asc(nulls_last=True), "-id")


@login_required
@require_http_methods(["GET", "POST"])
def supervision(request: HttpRequest) -> HttpResponse:
    """The supervision hub: the complaint queue (filters: status, source, kind, assignee, overdue), compensation
    cases and breaches of the offices the user supervises (optionally one office)."""
    offices = _supervisor_offices(request)
    open_form = OpenCompensationForm(request.POST or None, offices=visible_offices(request.user))
    if request.method == "POST":
        if open_form.is_valid():
            office = open_form.cleaned_data["office"]
            consultation = None
            number = open_form.cleaned_data["consultation"]
            if number:
                consultation = Consultation.objects.filter(pk=number, office=office).first()
            if number and consultation is None:
                open_form.add_error("consultation", _("Konsultasi tidak ditemukan di kantor ini."))
            else:
                try:
                    case = open_compensation(
                        office,
                        by=acting_user(request),
                        reason=open_form.cleaned_data["reason"],
                        consultation=consultation,
                    )
                except DomainError as exc:
                    open_form.add_error(None, exc.message)
                else:
                    messages.success(request, _("Kasus kompensasi K#%(id)s dibuka.") % {"id": case.pk})
                    return redirect("complaints:compensation", pk=case.pk)
    cases = (
        Compensation.objects.filter(office__in=offices)
        .select_related("office", "consultation", "breach", "decided_by", "opened_by")
        .order_by("-opened_at", "-id")
    )
    queue_filter = QueueFilter(request.GET or None)
    context = {
        "offices": visible_offices(request.user),
        "selected": request.GET.get("office", ""),
        "queue_filter": queue_filter,
        "complaints": list(complaint_queue(request.user, offices, queue_filter)[:LIST_LIMIT]),
        "now": timezone.now(),
        "open_cases": list(cases.filter(status=CompensationStatus.OPEN)[:LIST_LIMIT]),
        "decided_cases": list(cases.exclude(status=CompensationStatus.OPEN).order_by("-decided_at")[:LIST_LIMIT]),
        "breaches": list(
            Breach.objects.filter(office__in=offices)
            .select_related("office", "consultation", "consultation__assigned_to", "compensation")
            .order_by("-detected_at")[:LIST_LIMIT]
        ),
        "open_form": open_form,
    }
    return render(request, "complaints/supervision.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def compensation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One compensation case with its trail; the manager of the office (or above) decides it here."""
    offices = _supervisor_offices(request)
    case = get_object_or_404(
        Compensation.objects.select_related(
            "office", "consultation", "breach", "decided_by", "opened_by", "complaint", "option"
        ),
        pk=pk,
        office__in=offices,
    )
    may_decide = case.is_open and can_decide_compensation(request.user, case.office)
    form = DecisionForm(request.POST or None, office=case.office)
    if request.method == "POST":
        if not may_decide:
            form.add_error(None, _("Hanya penanggung jawab pelayanan yang dapat memutuskan kasus yang masih terbuka."))
        elif form.is_valid():
            try:
                decide_compensation(
                    case,
                    by=acting_user(request),
                    granted=form.cleaned_data["granted"],
                    reason=form.cleaned_data["reason"],
                    given=form.cleaned_data["given"],
                    option=form.cleaned_data["option"],
                )
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, _("Keputusan kompensasi disimpan."))
                return redirect("complaints:compensation", pk=case.pk)
    trail = trail_of(case)
    status = 400 if request.method == "POST" and form.errors else 200
    return render(
        request,
        "complaints/compensation.html",
        {"case": case, "form": form, "may_decide": may_decide, "trail": trail},
        status=status,
    )


# --- one complaint ---------------------------------------------------------------------------------------------
class AssignForm(forms.Form):
    to = forms.ModelChoiceField(queryset=User.objects.none(), label=gettext_lazy("Tugaskan ke"), required=False)

    def __init__(self, *args: Any, office: Office, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        staff = User.objects.filter(office=office, is_active=True).order_by("username")
        self.fields["to"].queryset = staff  # type: ignore[attr-defined]


class NoteForm(forms.Form):
    body = forms.CharField(
        label=gettext_lazy("Catatan tindak lanjut (internal)"),
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=COMPLAINT_MAX_CHARS,
    )


class AnswerForm(forms.Form):
    response = forms.CharField(
        label=gettext_lazy("Tanggapan kepada pengadu"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=COMPLAINT_MAX_CHARS,
    )
    upheld = forms.TypedChoiceField(
        label=gettext_lazy("Pengaduan"),
        required=False,
        choices=[
            ("yes", gettext_lazy("Beralasan: pelayanan tidak sesuai standar (membuka kasus kompensasi)")),
            ("no", gettext_lazy("Tidak beralasan")),
        ],
        coerce=lambda value: value == "yes",
        empty_value=None,
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label=gettext_lazy("Alasan"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=COMPLAINT_MAX_CHARS,
    )


class LaporStageForm(forms.Form):
    stage = forms.ChoiceField(label=gettext_lazy("Tahap LAPOR!"), choices=LaporStage.choices)


@login_required
@require_http_methods(["GET", "POST"])
def complaint_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One complaint, suggestion or input: assign it, add follow-up notes, answer the complainant (and, for a
    complaint, uphold it or not with the reason), mirror a LAPOR! stage; its notes and audit trail. Staff of
    the office see it; the actions decide who may do what."""
    complaint = get_complaint_for(request.user, pk)
    post = request.POST if request.method == "POST" else None
    which = post.get("form", "") if post is not None else ""
    forms_: dict[str, forms.Form] = {
        "assign": AssignForm(post if which == "assign" else None, office=complaint.office),
        "note": NoteForm(post if which == "note" else None),
        "answer": AnswerForm(post if which == "answer" else None),
        "lapor": LaporStageForm(post if which == "lapor" else None, initial={"stage": complaint.lapor_stage}),
    }
    if post is not None:
        form = forms_.get(which)
        if form is None:
            return HttpResponse(status=400)
        if form.is_valid():
            data = form.cleaned_data
            try:
                if which == "assign":
                    assign_complaint(complaint, by=acting_user(request), to=data["to"])
                elif which == "note":
                    add_complaint_note(complaint, by=acting_user(request), body=data["body"])
                elif which == "answer":
                    handle_complaint(
                        complaint,
                        by=acting_user(request),
                        response=data["response"],
                        upheld=data["upheld"],
                        reason=data["reason"],
                    )
                else:
                    set_lapor_stage(complaint, by=acting_user(request), stage=data["stage"])
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, _("Tersimpan."))
                return redirect("complaints:complaint", pk=complaint.pk)
    status = 400 if post is not None else 200
    return render(
        request,
        "complaints/complaint.html",
        {
            "complaint": complaint,
            "forms": forms_,
            "notes": list(complaint.notes.select_related("author")),
            "trail": trail_of(complaint),
            "case": Compensation.objects.filter(complaint=complaint).first(),
            "now": timezone.now(),
            "tracking_url": tracking_url(complaint.tracking_number),
        },
        status=status,
    )


class RecordComplaintForm(forms.Form):
    """A complaint received outside PST Desk, recorded by staff."""

    office = forms.ModelChoiceField(queryset=Office.objects.none(), label=gettext_lazy("Kantor"))
    source = forms.ChoiceField(label=gettext_lazy("Diterima melalui"), choices=ComplaintSource.choices)
    kind = forms.ChoiceField(label=gettext_lazy("Jenis"), choices=ComplaintKind.choices)
    external_id = forms.CharField(
        label=gettext_lazy("Nomor pelacakan SP4N-LAPOR! / situs pengaduan BPS"), required=False, max_length=64
    )
    text = forms.CharField(
        label=gettext_lazy("Isi"), widget=forms.Textarea(attrs={"rows": 5}), max_length=COMPLAINT_MAX_CHARS
    )
    contact = forms.CharField(
        label=gettext_lazy("Kontak pengadu (opsional: e-mail atau telepon; kosongkan bila anonim)"),
        required=False,
        max_length=200,
    )
    consultation = forms.IntegerField(
        label=gettext_lazy("Konsultasi yang diadukan (nomor PST#, opsional: tanggapan dikirim ke salurannya)"),
        required=False,
        min_value=1,
    )

    def __init__(self, *args: Any, offices: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["office"].queryset = offices  # type: ignore[attr-defined]


@login_required
@require_http_methods(["GET", "POST"])
def record_complaint(request: HttpRequest) -> HttpResponse:
    """Staff record a complaint received by telephone, from the box, in person, or from LAPOR! / the BPS complaint
    site (with its tracking id there). Only the sources the chosen office publishes are accepted. A complaint about
    a consultation of that office names it (PST#): the visitor is linked and the answer goes to its channel."""
    offices = visible_offices(request.user)
    if not offices.exists():
        raise Http404("Not found")
    form = RecordComplaintForm(request.POST or None, offices=offices, initial={"source": ComplaintSource.PHONE})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        consultation = None
        if data["consultation"]:
            consultation = Consultation.objects.filter(pk=data["consultation"], office=data["office"]).first()
            if consultation is None:
                form.add_error("consultation", _("Konsultasi tidak ditemukan di kantor ini."))
        if not form.errors:
            try:
                complaint = file_complaint(
                    data["office"],
                    kind=data["kind"],
                    text=data["text"],
                    by=acting_user(request),
                    source=data["source"],
                    contact=data["contact"],
                    external_id=data["external_id"],
                    consultation=consultation,
                )
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(
                    request,
                    _("Tercatat dengan nomor %(number)s: sampaikan nomor ini kepada pengadu.")
                    % {"number": complaint.tracking_number},
                )
                return redirect("complaints:complaint", pk=complaint.pk)
    sources = [(office, [ComplaintSource(value).label for value in offered_sources(office)]) for office in offices]
    status = 400 if request.method == "POST" else 200
    return render(request, "complaints/record.html", {"form": form, "sources": sources}, status=status)


class FromMessageForm(forms.Form):
    message = forms.IntegerField(min_value=1)
    kind = forms.ChoiceField(choices=ComplaintKind.choices, initial=ComplaintKind.COMPLAINT)


@login_required
@require_http_methods(["GET", "POST"])
def complaint_from_consultation(request: HttpRequest, pk: int) -> HttpResponse:
    """The visitor's messages of one consultation, each with a button that turns it into a complaint (keeping the
    link to the message and the consultation). Reached from the console."""
    consultation = get_consultation_for(request.user, pk)
    form = FromMessageForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        message = get_object_or_404(Message, pk=form.cleaned_data["message"], consultation=consultation)
        try:
            complaint = file_complaint_from_message(message, by=acting_user(request), kind=form.cleaned_data["kind"])
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(
                request,
                _("Pesan dijadikan pengaduan %(number)s; nomornya sudah dikirim kepada pengguna.")
                % {"number": complaint.tracking_number},
            )
            return redirect("complaints:complaint", pk=complaint.pk)
    inbound = list(
        consultation.messages.filter(direction=Direction.IN, kind=MessageKind.MESSAGE).order_by("seq")[:LIST_LIMIT]
    )
    filed = dict(Complaint.objects.filter(message__in=inbound).values_list("message_id", "tracking_number"))
    rows = [{"message": m, "complaint": filed.get(m.pk)} for m in inbound]
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "complaints/from_consultation.html",
        {"consultation": consultation, "rows": rows, "form": form, "kinds": ComplaintKind.choices},
        status=status,
    )


# --- the public side -------------------------------------------------------------------------------------------
class ComplaintForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Jenis"), choices=ComplaintKind.choices, widget=forms.RadioSelect)
    text = forms.CharField(
        label=gettext_lazy("Isi"), widget=forms.Textarea(attrs={"rows": 6}), max_length=COMPLAINT_MAX_CHARS
    )
    contact = forms.CharField(
        label=gettext_lazy("E-mail (opsional: nomor pelacakan dan tanggapan dikirim ke sini)"),
        required=False,
        max_length=200,
    )


def _label(value: Any) -> str:
    if isinstance(value, dict):
        lang = (get_language() or "id")[:2]
        return str(value.get(lang) or value.get("id") or next(iter(value.values()), ""))
    return str(value or "")


@require_http_methods(["GET", "POST"])
def complaint_form(request: HttpRequest, code: str) -> HttpResponse:
    """The public complaint, suggestion and input form of an office (its online form), with its other complaint
    channels. The tracking number is shown at once, and mailed to the address given."""
    office = get_object_or_404(Office, code=code)
    standard = office.standard
    if standard is None:
        raise Http404("Not found")
    channels = [
        {"kind": item.get("kind", ""), "address": item.get("address", ""), "label": _label(item.get("label"))}
        for item in (standard.complaint_channels or [])
        if isinstance(item, dict)
    ]
    form = ComplaintForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            complaint = file_complaint(
                office,
                kind=form.cleaned_data["kind"],
                text=form.cleaned_data["text"],
                contact=form.cleaned_data["contact"],
                source=ComplaintSource.ONLINE_FORM,
                by=ChannelActor("complaint_form"),
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            return render(
                request,
                "complaints/complaint_thanks.html",
                {"office": office, "complaint": complaint, "tracking_url": tracking_url(complaint.tracking_number)},
            )
    status = 400 if request.method == "POST" else 200
    return render(
        request, "complaints/complaint_form.html", {"office": office, "form": form, "channels": channels}, status=status
    )


SHAPE_ERROR = gettext_lazy("Nomor pelacakan berbentuk PGD-<kode kantor>-<6 huruf/angka>, misalnya PGD-5102-7K3Q9X.")


@require_http_methods(["GET"])
def track_lookup(request: HttpRequest) -> HttpResponse:
    """The tracking page's lookup form: `?nomor=PGD-…` goes to that number's page."""
    raw = request.GET.get("nomor", "")
    error = ""
    if raw:
        number = normalize_tracking_number(raw)
        if number is not None:
            return redirect("complaints:track", number=number)
        error = str(SHAPE_ERROR)
    return render(request, "complaints/track.html", {"error": error, "raw": raw[:40]}, status=400 if error else 200)


@require_http_methods(["GET"])
def track(request: HttpRequest, number: str) -> HttpResponse:
    """The complainant's view of one complaint: its status and the office's answer, nothing else (no text, no
    contact, nothing of other complaints). A number of the wrong shape is a 400 with the expected shape; an
    unknown one a 404 that says only that nothing was found. Guessing is limited (`complaints.throttle`): past the
    misses allowed per client address every lookup is a 429."""
    canonical = normalize_tracking_number(number)
    if canonical is None:
        return render(request, "complaints/track.html", {"error": str(SHAPE_ERROR), "raw": number[:40]}, status=400)
    if canonical != number:
        return redirect("complaints:track", number=canonical)
    ip = client_ip(request.META)
    wait = throttle.retry_after(ip)
    if wait:
        error = _("Terlalu banyak nomor pelacakan yang tidak ditemukan dari alamat ini. Coba lagi nanti.")
        response = render(request, "complaints/track.html", {"error": error, "raw": number}, status=429)
        response["Retry-After"] = str(wait)
        return response
    complaint = Complaint.objects.select_related("office").filter(tracking_number=canonical).first()
    if complaint is None:
        throttle.count_miss(ip)
        error = _("Nomor pelacakan tidak ditemukan.")
        return render(request, "complaints/track.html", {"error": error, "raw": number}, status=404)
    case = (
        Compensation.objects.filter(complaint=complaint)
        .exclude(status=CompensationStatus.OPEN)
        .order_by("-decided_at")
        .first()
    )
    return render(request, "complaints/track.html", {"complaint": complaint, "case": case})
