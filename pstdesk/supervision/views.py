"""Supervisor pages of the console: the duty roster with its coverage, and the supervision queues. Every page
answers 404 to anyone who does not supervise the office (officers included) and costs a number of queries that
does not depend on the number of offices in scope."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pstdesk.accounts.access import acting_user, get_office_for, visible_offices
from pstdesk.accounts.models import User
from pstdesk.consultations import actions as consultation_actions
from pstdesk.consultations.models import Consultation
from pstdesk.lib.errors import DomainError, InvalidInput
from pstdesk.offices.calendar import calendar_for, years_for
from pstdesk.offices.models import Office
from pstdesk.supervision import actions
from pstdesk.supervision.models import ExceptionKind, RosterException, RosterShift, SupervisionSettings, Weekday
from pstdesk.supervision.queues import UNASSIGNED_MINUTES, supervision_queues
from pstdesk.supervision.roster import coverage, minimum_for

COVERAGE_DAYS = 14


def supervised_office(request: HttpRequest, code: str) -> Office:
    """The office if the user supervises it (their office or one below); 404 otherwise, like a missing one."""
    user = request.user
    if not getattr(user, "is_authenticated", False) or not getattr(user, "sees_subtree", False):
        raise Http404("Not found")
    return get_office_for(user, code)


class _StaffChoice(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.get_full_name() or obj.username)


class ShiftForm(forms.Form):
    user = _StaffChoice(label=gettext_lazy("Petugas"), queryset=User.objects.none())
    weekday = forms.TypedChoiceField(label=gettext_lazy("Hari"), choices=Weekday.choices, coerce=int)
    starts = forms.TimeField(label=gettext_lazy("Jam mulai"), widget=forms.TimeInput(attrs={"type": "time"}))
    ends = forms.TimeField(label=gettext_lazy("Jam selesai"), widget=forms.TimeInput(attrs={"type": "time"}))

    def __init__(self, *args: Any, office: Office, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = User.objects.filter(office=office, is_active=True).order_by("username")  # type: ignore[attr-defined]


class ExceptionForm(forms.Form):
    user = _StaffChoice(label=gettext_lazy("Petugas"), queryset=User.objects.none())
    day = forms.DateField(label=gettext_lazy("Tanggal"), widget=forms.DateInput(attrs={"type": "date"}))
    kind = forms.ChoiceField(label=gettext_lazy("Jenis"), choices=ExceptionKind.choices)
    starts = forms.TimeField(
        label=gettext_lazy("Jam mulai"), required=False, widget=forms.TimeInput(attrs={"type": "time"})
    )
    ends = forms.TimeField(
        label=gettext_lazy("Jam selesai"), required=False, widget=forms.TimeInput(attrs={"type": "time"})
    )
    note = forms.CharField(label=gettext_lazy("Keterangan"), required=False, max_length=200)

    def __init__(self, *args: Any, office: Office, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = User.objects.filter(office=office, is_active=True).order_by("username")  # type: ignore[attr-defined]


class MinimumForm(forms.Form):
    minimum = forms.IntegerField(label=gettext_lazy("Minimum petugas"), required=False, min_value=0, max_value=50)


@login_required
def roster_home(request: HttpRequest) -> HttpResponse:
    """`/pengawasan/jadwal/`: the supervisor's own office's roster."""
    user = request.user
    if not getattr(user, "sees_subtree", False) or getattr(user, "office_id", None) is None:
        raise Http404("Not found")
    return redirect("supervision:roster", code=user.office_id)  # type: ignore[union-attr]


def _post_roster(request: HttpRequest, office: Office) -> str | None:
    """Run the roster edit the form asks for; the error text, or None when done."""
    op = request.POST.get("op", "")
    by = acting_user(request)
    if op == "add_shift":
        form: forms.Form = ShiftForm(request.POST, office=office)
        if not form.is_valid():
            return _("Periksa isian jadwal mingguan.")
        data = form.cleaned_data
        actions.add_roster_shift(
            office, user=data["user"], weekday=data["weekday"], starts=data["starts"], ends=data["ends"], by=by
        )
    elif op == "remove_shift":
        shift = RosterShift.objects.filter(office=office, pk=request.POST.get("pk") or 0).first()
        if shift is None:
            raise Http404("Not found")
        actions.remove_roster_shift(shift, by=by)
    elif op == "add_exception":
        form = ExceptionForm(request.POST, office=office)
        if not form.is_valid():
            return _("Periksa isian pengecualian.")
        data = form.cleaned_data
        actions.add_roster_exception(
            office,
            user=data["user"],
            day=data["day"],
            kind=data["kind"],
            starts=data["starts"],
            ends=data["ends"],
            note=data["note"],
            by=by,
        )
    elif op == "remove_exception":
        exception = RosterException.objects.filter(office=office, pk=request.POST.get("pk") or 0).first()
        if exception is None:
            raise Http404("Not found")
        actions.remove_roster_exception(exception, by=by)
    elif op == "set_minimum":
        form = MinimumForm(request.POST)
        if not form.is_valid():
            return _("Minimum petugas harus antara 0 dan 50.")
        actions.set_office_minimum(office, minimum=form.cleaned_data["minimum"], by=by)
    else:
        raise Http404("Unknown operation")
    return None


@login_required
def roster(request: HttpRequest, code: str) -> HttpResponse:
    """The office's weekly pattern and date exceptions, editable, and the roster's coverage hour by hour for the
    coming two weeks with the hours below the minimum marked."""
    office = supervised_office(request, code)
    if request.method == "POST":
        try:
            error = _post_roster(request, office)
        except DomainError as exc:
            error = exc.message
        if error:
            messages.error(request, error)
        else:
            messages.success(request, _("Jadwal tugas disimpan."))
            return redirect("supervision:roster", code=office.pk)
    now = timezone.now()
    standard = office.standard
    settings = SupervisionSettings.objects.filter(office=office).first()
    minimum = minimum_for(standard, settings)
    shifts = list(RosterShift.objects.filter(office=office).select_related("user"))
    today = timezone.localtime(now, timezone=None).date()
    cal = None
    days: list[Any] = []
    if standard is not None:
        today = now.astimezone(ZoneInfo(office.timezone)).date()
        end = today + timedelta(days=COVERAGE_DAYS)
        years = set(years_for(now)) | {end.year}
        cal = calendar_for(office, years=years)
        exceptions = list(
            RosterException.objects.filter(office=office, date__gte=today).select_related("user").order_by("date")
        )
        days = coverage(cal, today, COVERAGE_DAYS, shifts, exceptions, minimum)
    else:
        exceptions = []
    hours = sorted({slot.starts.astimezone(cal.zone).time() for day in days for slot in day.slots}) if cal else []
    rows = []
    for day in days:
        by_hour = {slot.starts.astimezone(cal.zone).time(): slot for slot in day.slots} if cal else {}
        rows.append({"day": day, "cells": [by_hour.get(hour) for hour in hours]})
    return render(
        request,
        "supervision/roster.html",
        {
            "office": office,
            "minimum": minimum,
            "standard_minimum": standard.min_officers if standard is not None else None,
            "settings": settings,
            "shifts": shifts,
            "exceptions": exceptions,
            "hours": hours,
            "rows": rows,
            "shift_form": ShiftForm(office=office),
            "exception_form": ExceptionForm(office=office),
            "minimum_form": MinimumForm(initial={"minimum": settings.min_officers if settings else None}),
            "weekdays": Weekday,
        },
    )


def _supervised_scope(request: HttpRequest) -> tuple[Any, str]:
    """The offices the user supervises (a lazy queryset), narrowed to `?office=CODE` (404 outside the scope)."""
    user = request.user
    if not getattr(user, "is_authenticated", False) or not getattr(user, "sees_subtree", False):
        raise Http404("Not found")
    scope = visible_offices(user)
    code = request.GET.get("office", "")
    if code:
        scope = scope.filter(code=get_office_for(user, code).code)
    return scope, code


@login_required
def queues(request: HttpRequest) -> HttpResponse:
    """The supervisor's queues over the offices they supervise: at risk (due within one working day), overdue,
    unassigned for more than `UNASSIGNED_MINUTES` working minutes, waiting on the visitor, not yet marked clear,
    closed in the last week (to reopen), and each officer's load. A constant number of queries."""
    scope, code = _supervised_scope(request)
    q = supervision_queues(scope)
    officers: dict[str, list[User]] = {}
    for officer in q.load:
        if officer.office_id is not None:
            officers.setdefault(officer.office_id, []).append(officer)
    for rows in (q.escalated, q.at_risk, q.overdue, q.unassigned, q.waiting, q.not_clear):
        for c in rows:
            c.candidates = officers.get(c.office_id, [])  # type: ignore[attr-defined]
    return render(
        request,
        "supervision/queues.html",
        {
            "q": q,
            "selected": code,
            "unassigned_minutes": UNASSIGNED_MINUTES,
            "lists": [
                ("escalated", _("Dieskalasi ke kantor yang saya awasi"), q.escalated),
                ("at-risk", _("Berisiko (batas waktu dalam satu hari kerja)"), q.at_risk),
                ("overdue", _("Lewat batas waktu"), q.overdue),
                (
                    "unassigned",
                    _("Belum ditugaskan lebih dari %(n)d menit kerja") % {"n": UNASSIGNED_MINUTES},
                    q.unassigned,
                ),
                ("waiting", _("Menunggu pengguna"), q.waiting),
                ("not-clear", _("Permintaan belum ditandai jelas"), q.not_clear),
                ("closed", _("Ditutup dalam tujuh hari terakhir"), q.closed),
            ],
        },
    )


@login_required
def queue_action(request: HttpRequest, pk: int, verb: str) -> HttpResponse:
    """Assign, transfer or reopen one consultation of a supervised office (POST), back to the queues."""
    if request.method != "POST" or verb not in {"assign", "transfer", "reopen"}:
        raise Http404("Not found")
    scope, _code = _supervised_scope(request)
    consultation = Consultation.objects.filter(pk=pk, office__in=scope).select_related("office").first()
    if consultation is None:
        raise Http404("Not found")
    try:
        if verb == "reopen":
            consultation_actions.reopen_consultation(consultation, by=acting_user(request))
        else:
            to = User.objects.filter(pk=request.POST.get("to") or 0, office_id=consultation.office_id).first()
            if to is None:
                raise InvalidInput(_("Pilih petugas kantor ini."))
            if verb == "assign" or consultation.assigned_to_id is None:
                consultation_actions.assign_consultation(consultation, to=to, by=acting_user(request))
            else:
                consultation_actions.transfer_consultation(consultation, to=to, by=acting_user(request))
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("PST#%(id)s diperbarui.") % {"id": consultation.pk})
    return redirect(reverse("supervision:queues") + (f"?office={_code}" if _code else ""))
