"""Pages of the complaints app: supervision (`/pengawasan/`: breaches, compensation cases, complaints of the
visible offices, and the manager's decision) and the public complaint form (`/pengaduan/<office>/`).

Thin views: they read, check access through `accounts.access` (404 for missing and forbidden alike), and call
the actions; a `DomainError` becomes the form's error message with nothing changed.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from pstdesk.accounts.access import get_office_for, visible_offices
from pstdesk.accounts.models import Role
from pstdesk.audit.models import trail_of
from pstdesk.complaints.actions import (
    can_decide_compensation,
    decide_compensation,
    file_complaint,
    handle_complaint,
    open_compensation,
)
from pstdesk.complaints.models import Breach, Compensation, CompensationStatus, Complaint, ComplaintKind
from pstdesk.consultations.models import Consultation
from pstdesk.lib.errors import DomainError
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
    reason = forms.CharField(label=gettext_lazy("Alasan"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)
    given = forms.CharField(
        label=gettext_lazy("Kompensasi yang diberikan"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class OpenCompensationForm(forms.Form):
    office = forms.ModelChoiceField(queryset=Office.objects.none(), label=gettext_lazy("Kantor"))
    consultation = forms.IntegerField(
        label=gettext_lazy("Nomor konsultasi (PST#, opsional)"), required=False, min_value=1
    )
    reason = forms.CharField(label=gettext_lazy("Alasan"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)

    def __init__(self, *args: Any, offices: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["office"].queryset = offices  # type: ignore[attr-defined]


@login_required
@require_http_methods(["GET", "POST"])
def supervision(request: HttpRequest) -> HttpResponse:
    """Breaches, compensation cases and complaints of the offices the user supervises (optionally one office)."""
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
                        office, by=request.user, reason=open_form.cleaned_data["reason"], consultation=consultation
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
    context = {
        "offices": visible_offices(request.user),
        "selected": request.GET.get("office", ""),
        "open_cases": list(cases.filter(status=CompensationStatus.OPEN)[:LIST_LIMIT]),
        "decided_cases": list(cases.exclude(status=CompensationStatus.OPEN).order_by("-decided_at")[:LIST_LIMIT]),
        "breaches": list(
            Breach.objects.filter(office__in=offices)
            .select_related("office", "consultation", "consultation__assigned_to", "compensation")
            .order_by("-detected_at")[:LIST_LIMIT]
        ),
        "complaints": list(Complaint.objects.filter(office__in=offices).select_related("office")[:LIST_LIMIT]),
        "open_form": open_form,
    }
    return render(request, "complaints/supervision.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def compensation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One compensation case with its trail; the manager of the office (or above) decides it here."""
    offices = _supervisor_offices(request)
    case = get_object_or_404(
        Compensation.objects.select_related("office", "consultation", "breach", "decided_by", "opened_by"),
        pk=pk,
        office__in=offices,
    )
    may_decide = case.is_open and can_decide_compensation(request.user, case.office)
    form = DecisionForm(request.POST or None)
    if request.method == "POST":
        if not may_decide:
            form.add_error(None, _("Hanya penanggung jawab pelayanan yang dapat memutuskan kasus yang masih terbuka."))
        elif form.is_valid():
            try:
                decide_compensation(
                    case,
                    by=request.user,
                    granted=form.cleaned_data["granted"],
                    reason=form.cleaned_data["reason"],
                    given=form.cleaned_data["given"],
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


class HandleComplaintForm(forms.Form):
    response = forms.CharField(
        label=gettext_lazy("Tindak lanjut"), widget=forms.Textarea(attrs={"rows": 4}), max_length=5000
    )
    upheld = forms.BooleanField(
        label=gettext_lazy("Pengaduan beralasan: pelayanan tidak sesuai standar (membuka kasus kompensasi)"),
        required=False,
    )


@login_required
@require_http_methods(["GET", "POST"])
def complaint_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One complaint, suggestion or input, its follow-up form and its audit trail (supervisors and managers)."""
    offices = _supervisor_offices(request)
    complaint = get_object_or_404(Complaint.objects.select_related("office", "handled_by"), pk=pk, office__in=offices)
    form = HandleComplaintForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            handle_complaint(
                complaint,
                by=request.user,
                response=form.cleaned_data["response"],
                upheld=form.cleaned_data["upheld"],
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Tindak lanjut pengaduan disimpan."))
            return redirect("complaints:complaint", pk=complaint.pk)
    trail = trail_of(complaint)
    case = Compensation.objects.filter(complaint=complaint).first()
    status = 400 if request.method == "POST" and form.errors else 200
    return render(
        request,
        "complaints/complaint.html",
        {"complaint": complaint, "form": form, "trail": trail, "case": case},
        status=status,
    )


class ComplaintForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Jenis"), choices=ComplaintKind.choices, widget=forms.RadioSelect)
    text = forms.CharField(label=gettext_lazy("Isi"), widget=forms.Textarea(attrs={"rows": 6}), max_length=5000)
    contact = forms.CharField(
        label=gettext_lazy("Kontak (opsional: e-mail atau nomor WhatsApp, jika ingin ditanggapi)"),
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
    """The public complaint, suggestion and input form of an office, with its other complaint channels."""
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
            file_complaint(
                office,
                kind=form.cleaned_data["kind"],
                text=form.cleaned_data["text"],
                contact=form.cleaned_data["contact"],
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            return render(request, "complaints/complaint_thanks.html", {"office": office})
    status = 400 if request.method == "POST" else 200
    return render(
        request, "complaints/complaint_form.html", {"office": office, "form": form, "channels": channels}, status=status
    )
