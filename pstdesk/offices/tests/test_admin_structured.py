"""The service standard and the office's website origins in the admin, as structured forms (no JSON box).

Submitting the change form as rendered (every input as the page shows it) changes nothing and is refused as
such; changing one value publishes version + 1 with exactly that change, and changing it back gives a version
equal, field for field, to the one built from the seed file. Rows added beside the stored ones are kept; a wrong
hour or a wrong origin is refused with the message on that field, and nothing is stored.
"""

from __future__ import annotations

import json
from html.parser import HTMLParser
from importlib import resources
from typing import Any

import pytest
from django.test import Client

from pstdesk.accounts.models import User
from pstdesk.offices.actions import STANDARD_FIELDS
from pstdesk.offices.models import Office, ServiceStandard

pytestmark = pytest.mark.django_db


class FormValues(HTMLParser):
    """The values a browser would submit for the form `form_id` (inputs, checked boxes, selected options)."""

    def __init__(self, form_id: str) -> None:
        super().__init__()
        self.form_id = form_id
        self.inside = False
        self.depth_template = 0
        self.values: list[tuple[str, str]] = []
        self.select: str | None = None
        self.textarea: str | None = None
        self.text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and a.get("id") == self.form_id:
            self.inside = True
        if not self.inside:
            return
        if tag == "template":
            self.depth_template += 1
        if self.depth_template or "disabled" in a:
            return
        name = a.get("name")
        if tag == "input" and name and a.get("type") not in {"submit", "button"}:
            if a.get("type") in {"checkbox", "radio"}:
                if "checked" in a:
                    self.values.append((name, a.get("value") or "on"))
            else:
                self.values.append((name, a.get("value", "")))
        elif tag == "select" and name:
            self.select = name
        elif tag == "option" and self.select and "selected" in a:
            self.values.append((self.select, a.get("value", "")))
        elif tag == "textarea" and name:
            self.textarea, self.text = name, ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "form" and self.inside:
            self.inside = False
        elif tag == "template" and self.depth_template:
            self.depth_template -= 1
        elif tag == "select":
            self.select = None
        elif tag == "textarea" and self.textarea:
            # Browsers drop the one newline that follows <textarea>.
            self.values.append((self.textarea, self.text[1:] if self.text.startswith("\n") else self.text))
            self.textarea = None

    def handle_data(self, data: str) -> None:
        if self.textarea:
            self.text += data


def form_values(html: str, form_id: str) -> dict[str, Any]:
    parser = FormValues(form_id)
    parser.feed(html)
    data: dict[str, Any] = {}
    for name, value in parser.values:
        data.setdefault(name, []).append(value)
    return {k: v if len(v) > 1 else v[0] for k, v in data.items()}


def seed(code: str) -> dict[str, Any]:
    data = json.loads(resources.files("pstdesk.offices.seeds").joinpath(f"standard_{code}.json").read_text())
    data.pop("office")
    return data


def snapshot(standard: ServiceStandard) -> dict[str, Any]:
    return {name: getattr(standard, name) for name in STANDARD_FIELDS}


def _change_url(standard: ServiceStandard) -> str:
    return f"/admin/offices/servicestandard/{standard.pk}/change/"


@pytest.fixture
def admin_client(db: None) -> Client:
    superuser = User.objects.create_superuser("root", "root@example.test", "pass-root-123")
    client = Client()
    client.force_login(superuser)
    return client


@pytest.mark.parametrize("code", ["5102", "5101"])
def test_the_form_as_rendered_round_trips_every_field_of_the_seed(admin_client: Client, code: str) -> None:
    office = Office.objects.get(code=code)
    v1 = office.standard
    assert v1 is not None and v1.version == 1
    page = admin_client.get(_change_url(v1))
    html = page.content.decode()
    assert page.status_code == 200
    assert '<textarea name="requirements"' not in html and "structured-list" in html  # no JSON box
    data = form_values(html, "servicestandard_form")
    data["change_note"] = "SLA 5"
    data["sla_working_days"] = "5"
    saved = admin_client.post(_change_url(v1), data)
    assert saved.status_code == 302, saved.content.decode()[:3000]
    v2 = Office.objects.get(code=code).standard
    assert v2 is not None and v2.version == 2
    built_from_seed = snapshot(v1)  # the seed file's values plus the model's defaults for what it leaves out
    assert built_from_seed == {**built_from_seed, **seed(code)}
    assert snapshot(v2) == {**built_from_seed, "sla_working_days": 5}

    data = form_values(admin_client.get(_change_url(v2)).content.decode(), "servicestandard_form")
    data.update(change_note="SLA back to 3", sla_working_days="3")
    assert admin_client.post(_change_url(v2), data).status_code == 302
    v3 = Office.objects.get(code=code).standard
    assert v3 is not None and v3.version == 3
    assert snapshot(v3) == built_from_seed == snapshot(ServiceStandard.objects.get(pk=v1.pk))


def test_a_row_added_and_a_row_removed(admin_client: Client) -> None:
    v1 = Office.objects.get(code="5102").standard
    assert v1 is not None
    data = form_values(admin_client.get(_change_url(v1)).content.decode(), "servicestandard_form")
    count = int(data["facilities-count"])
    data[f"facilities-{count}-code"] = "wifi"
    data[f"facilities-{count}-text-id"] = "Wi-Fi"
    data[f"facilities-{count}-text-en"] = "Wi-Fi"
    data["competences-0-DELETE"] = "on"
    data["change_note"] = "wifi"
    assert admin_client.post(_change_url(v1), data).status_code == 302
    v2 = Office.objects.get(code="5102").standard
    assert v2 is not None
    assert v2.facilities == [*v1.facilities, {"code": "wifi", "text": {"id": "Wi-Fi", "en": "Wi-Fi"}}]
    assert v2.competences == v1.competences[1:]


def test_a_wrong_hour_is_refused_beside_the_field_and_nothing_is_stored(admin_client: Client) -> None:
    v1 = Office.objects.get(code="5102").standard
    assert v1 is not None
    data = form_values(admin_client.get(_change_url(v1)).content.decode(), "servicestandard_form")
    data.update({"service_hours-mon-close": "25.00", "change_note": "x"})
    page = admin_client.post(_change_url(v1), data)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Senin: “25.00” bukan jam yang sah (00.00–23.59)." in html
    assert 'value="25.00"' in html  # what was typed is shown back
    assert ServiceStandard.objects.filter(office_id="5102").count() == 1


def test_hours_in_indonesian_format_are_stored_as_times(admin_client: Client) -> None:
    v1 = Office.objects.get(code="5102").standard
    assert v1 is not None
    data = form_values(admin_client.get(_change_url(v1)).content.decode(), "servicestandard_form")
    data.update({"service_hours-sat-open": "8.00", "service_hours-sat-close": "12.00", "change_note": "Sabtu"})
    assert admin_client.post(_change_url(v1), data).status_code == 302
    standard = Office.objects.get(code="5102").standard
    assert standard is not None and standard.service_hours["sat"] == ["08:00", "12:00"]


def test_website_origins_are_a_list_of_urls_validated_one_by_one(admin_client: Client) -> None:
    url = "/admin/offices/office/5102/change/"
    html = admin_client.get(url).content.decode()
    assert '<textarea name="website_origins"' not in html
    data = form_values(html, "office_form")
    data.update(
        {
            "website_origins-count": "0",
            "website_origins-0-value": "https://tabanankab.bps.go.id",
            "website_origins-1-value": "tabanan kab",
        }
    )
    page = admin_client.post(url, data)
    assert page.status_code == 200
    assert "Baris 2: “tabanan kab” bukan asal situs yang sah" in page.content.decode()
    assert Office.objects.get(code="5102").website_origins != ["https://tabanankab.bps.go.id", "tabanan kab"]

    data["website_origins-1-value"] = "https://www.bps.go.id"
    assert admin_client.post(url, data).status_code == 302
    assert Office.objects.get(code="5102").website_origins == ["https://tabanankab.bps.go.id", "https://www.bps.go.id"]
