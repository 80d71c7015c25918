"""The guestbook form, shared by the web guestbook page and the LiveChat widget.

The form only shapes the input; the rules (code lists in force, "Lainnya" needs text, phone and e-mail
normalisation) live in `guestbook.actions.validate_guestbook`, which `GuestbookForm.clean` runs too, so the page,
the widget and the JSON API refuse the same things with the same messages.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from pstdesk.guestbook import actions
from pstdesk.guestbook.models import CodeList, GuestbookEntry, Visitor
from pstdesk.lib.actors import Actor

CHOICE_FIELDS = {**actions.CODE_FIELDS}


def _label(item_label: dict[str, str]) -> str:
    language = (translation.get_language() or "id")[:2]
    return item_label.get(language) or item_label.get("id") or ""


def code_choices(code_list: CodeList | None) -> list[tuple[str, str]]:
    if code_list is None:
        return []
    return [(item.code, _label(item.label)) for item in code_list.items.all()]


class GuestbookForm(forms.Form):
    """The electronic guestbook (buku tamu elektronik) with the consent to the privacy notice."""

    name = forms.CharField(label=_("Nama lengkap"), max_length=200)
    email = forms.CharField(
        label=_("E-mail aktif"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "inputmode": "email"}),
        help_text=_("Kami kirim kode verifikasi ke alamat ini."),
    )
    whatsapp = forms.CharField(
        label=_("Nomor WhatsApp"),
        max_length=40,
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
        help_text=_("Contoh: 0812-3456-7890 atau +62 812-3456-7890."),
    )
    sex = forms.ChoiceField(label=_("Jenis kelamin"), widget=forms.RadioSelect)
    age_group = forms.ChoiceField(label=_("Kelompok umur"))
    education = forms.ChoiceField(label=_("Pendidikan tertinggi"))
    occupation = forms.ChoiceField(label=_("Pekerjaan"))
    occupation_other = forms.CharField(label=_("Pekerjaan lainnya"), max_length=200, required=False)
    institution_category = forms.ChoiceField(label=_("Kategori instansi"))
    institution_category_other = forms.CharField(label=_("Kategori instansi lainnya"), max_length=200, required=False)
    institution_name = forms.CharField(label=_("Nama instansi/universitas"), max_length=200)
    purpose = forms.ChoiceField(label=_("Pemanfaatan data"))
    purpose_other = forms.CharField(label=_("Pemanfaatan lainnya"), max_length=200, required=False)
    disability = forms.ChoiceField(
        label=_("Penyandang disabilitas?"),
        choices=[("2", _("Tidak")), ("1", _("Ya"))],
        widget=forms.RadioSelect,
        initial="2",
    )
    disability_kinds = forms.MultipleChoiceField(
        label=_("Jenis disabilitas"), required=False, widget=forms.CheckboxSelectMultiple
    )
    consent = forms.BooleanField(
        label=_("Saya telah membaca pemberitahuan privasi dan menyetujui pemrosesan data pribadi saya."),
        error_messages={"required": _("Persetujuan diperlukan untuk mengisi buku tamu.")},
    )

    def __init__(self, *args: Any, visitor: Visitor | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.visitor = visitor
        lists = actions.current_code_lists()
        blank = [("", _("— pilih —"))]
        for field, list_name in CHOICE_FIELDS.items():
            choices = code_choices(lists.get(list_name))
            widget = self.fields[field].widget
            self.fields[field].choices = choices if isinstance(widget, forms.RadioSelect) else blank + choices  # type: ignore[attr-defined]
        self.fields["disability_kinds"].choices = code_choices(lists.get("disability_kind"))  # type: ignore[attr-defined]
        self.other_for = {
            field: [item.code for item in lists[name].items.all() if item.requires_text]
            for field, name in CHOICE_FIELDS.items()
            if field in actions.OTHER_TEXT_FIELDS and name in lists
        }
        for field in ("name", "email", "whatsapp"):
            if visitor is not None and getattr(visitor, field):
                self.fields[field].required = False  # known already: blank keeps it
        if visitor is not None and not self.is_bound:
            self.initial.update({"name": visitor.name, "email": visitor.email, "whatsapp": visitor.whatsapp})
            latest = visitor.guestbook_entries.order_by("-filled_at").first()
            if latest is not None:
                self.initial.update(initial_from_entry(latest))

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        try:
            actions.validate_guestbook(self.visitor or Visitor(), self.action_data())
        except actions.GuestbookError as exc:
            # Every problem at once, but one message per field: the form's own message wins.
            for field, message in exc.errors.items():
                if field not in self.errors:
                    self.add_error(field if field in self.fields else None, message)
        return cleaned

    def action_data(self) -> dict[str, Any]:
        """The cleaned input in the shape `fill_guestbook(data=...)` takes."""
        data = {key: value for key, value in self.cleaned_data.items() if key != "consent"}
        data["disability"] = data.get("disability") == "1"
        data["language"] = (translation.get_language() or "id")[:2]
        return data

    def add_guestbook_errors(self, exc: actions.GuestbookError) -> None:
        for field, message in exc.errors.items():
            self.add_error(field if field in self.fields else None, message)

    def save(
        self, visitor: Visitor | None, *, office: Any, channel: str, by: Actor | None = None
    ) -> GuestbookEntry | None:
        """Fill the guestbook and record the consent in one transaction, creating the visitor when there is none
        yet. Returns the entry, or None with the errors added to the form (and nothing changed)."""
        if not self.is_valid():
            return None
        try:
            entry = actions.fill_guestbook_with_consent(
                visitor, office=office, channel=channel, data=self.action_data(), by=by
            )
        except actions.GuestbookError as exc:
            self.add_guestbook_errors(exc)
            return None
        return entry


def initial_from_entry(entry: GuestbookEntry) -> dict[str, Any]:
    """A previous answer as the form's initial values (a returning visitor only checks and confirms)."""
    fields = [*CHOICE_FIELDS, *actions.OTHER_TEXT_FIELDS.values(), "institution_name"]
    initial = {field: getattr(entry, field) for field in fields}
    initial["disability"] = "1" if entry.disability else "2"
    initial["disability_kinds"] = list(entry.disability_kinds or [])
    return initial


class VerificationCodeForm(forms.Form):
    code = forms.CharField(
        label=_("Kode verifikasi (8 angka)"),
        max_length=12,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "pattern": "[0-9 ]*"}),
    )
