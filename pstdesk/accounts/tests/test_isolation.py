"""Office isolation, URL by URL: an officer (and an office admin) of 5101 gets 404 for everything of 5102.

The test walks every URL pattern of the project. Each named URL must be in exactly one table below:

- PUBLIC_URLS: pages and endpoints meant for anyone (visitors, providers, probes), with the reason;
- LIST_URLS: staff pages that list things without naming an office or object: must answer, and must not show
  5102's data to 5101 (checked with a marker string planted in 5102's objects);
- OBJECT_URLS: staff URLs that take an office code or an object id: built with 5102's objects, they must answer
  404 to 5101 (for POST-only endpoints: the same 4xx as for an object that does not exist);
- admin URLs are checked per registered model: every ModelAdmin must have a 5102 object factory in
  ADMIN_FACTORIES (change/delete/history pages → 404, change list without the 5102 object) or be listed in
  GLOBAL_ADMIN_MODELS with the reason.

A URL or an admin model missing from the tables FAILS the test, so a new URL cannot escape the check: add a row.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.contrib import admin
from django.db import models
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from pstdesk.accounts.actions import create_api_token
from pstdesk.accounts.models import ApiToken, User
from pstdesk.conftest import make_user
from pstdesk.lib.actors import SystemActor
from pstdesk.offices.models import Office, ServiceStandard

pytestmark = pytest.mark.django_db

MARKER = "RAHASIA-TABANAN-5102"


# --- the world: one object of each kind belonging to 5102 --------------------------------------------------------
@dataclass
class World:
    officer_5102: User
    office_5102: Office
    objects: dict[str, Any] = field(default_factory=dict)

    def get(self, key: str) -> Any:
        """An object of 5102, built on first use (so a table row only costs what it needs)."""
        if key not in self.objects:
            self.objects[key] = BUILDERS[key](self)
        return self.objects[key]


def _visitor(world: World) -> Any:
    from pstdesk.guestbook.models import Visitor

    return Visitor.objects.create(name=MARKER, email=f"{uuid.uuid4().hex[:8]}@example.test")


def _consultation(world: World) -> Any:
    from pstdesk.consultations.models import Consultation

    return Consultation.objects.create(
        office=world.office_5102, visitor=world.get("visitor"), channel="whatsapp", title=MARKER, subject=MARKER
    )


def _message(world: World) -> Any:
    from pstdesk.consultations.models import Message

    consultation = world.get("consultation")
    return Message.objects.create(
        consultation=consultation, seq=1, direction="in", channel=consultation.channel, body=MARKER
    )


def _attachment(world: World) -> Any:
    from django.core.files.base import ContentFile

    from pstdesk.consultations.models import Attachment

    attachment = Attachment(
        message=world.get("message"), filename=f"{MARKER}.txt", content_type="text/plain", size=6, sha256="0" * 64
    )
    attachment.file.save(f"{MARKER}.txt", ContentFile(b"rahasia"), save=True)
    return attachment


def _complaint(world: World) -> Any:
    from pstdesk.complaints.models import Complaint

    return Complaint.objects.create(
        office=world.office_5102, kind="complaint", text=MARKER, tracking_number="PGD-5102-ABCDEF"
    )


def _compensation_option(world: World) -> Any:
    from pstdesk.complaints.models import CompensationOption

    return CompensationOption.objects.create(office=world.office_5102, label=MARKER)


def _complaint_policy(world: World) -> Any:
    from pstdesk.complaints.models import ComplaintPolicy

    return ComplaintPolicy.objects.create(office=world.office_5102, follow_up_working_days=4)


def _breach(world: World) -> Any:
    from django.utils import timezone

    from pstdesk.complaints.models import Breach

    now = timezone.now()
    return Breach.objects.create(
        consultation=world.get("consultation"),
        office=world.office_5102,
        kind="resolution",
        due_at=now,
        detected_at=now,
    )


def _compensation(world: World) -> Any:
    from pstdesk.complaints.models import Compensation

    return Compensation.objects.create(office=world.office_5102, consultation=world.get("consultation"), reason=MARKER)


def _canned_reply(world: World) -> Any:
    from pstdesk.consultations.models import CannedReply

    return CannedReply.objects.create(office=world.office_5102, title=MARKER, body=MARKER)


def _closure(world: World) -> Any:
    import datetime

    from pstdesk.offices.models import OfficeClosure

    return OfficeClosure.objects.create(office=world.office_5102, date=datetime.date(2031, 1, 2), reason=MARKER)


def _token(world: World) -> ApiToken:
    token, _raw = create_api_token(world.officer_5102, by=SystemActor("test"), name=MARKER)
    return token


def _security_policy(world: World) -> Any:
    from pstdesk.accounts.actions import set_security_policy

    return set_security_policy(world.office_5102, require_admin_two_factor=False, by=SystemActor("test"))


def _standard(world: World) -> ServiceStandard:
    std = world.office_5102.standard
    assert std is not None
    return std


def _guestbook_entry(world: World) -> Any:
    from pstdesk.guestbook.models import GuestbookEntry

    return GuestbookEntry.objects.create(visitor=world.get("visitor"), office=world.office_5102)


def _mailbox(world: World) -> Any:
    from pstdesk.channels.email.models import Mailbox

    return Mailbox.objects.create(office=world.office_5102, external_key=f"{MARKER.lower()}@example.test")


def _mailbox_state(world: World) -> Any:
    from pstdesk.channels.email.models import MailboxState

    return MailboxState.objects.create(mailbox=world.get("mailbox"), folder=MARKER)


def _inbound_email(world: World) -> Any:
    from pstdesk.channels.email.models import InboundEmail

    return InboundEmail.objects.create(
        mailbox=world.get("mailbox"), dedupe_key=MARKER, raw=b"Subject: x\r\n\r\nx", subject=MARKER
    )


def _rating(world: World) -> Any:
    from pstdesk.ratings.models import Rating

    return Rating.objects.create(consultation=world.get("consultation"), score=1, feedback=MARKER, channel="whatsapp")


def _rating_alert(world: World) -> Any:
    from pstdesk.ratings.models import RatingAlert

    rating = world.get("rating")
    return RatingAlert.objects.create(
        office=world.office_5102, rating=rating, consultation=rating.consultation, reasons=["low_score"]
    )


def _rating_policy(world: World) -> Any:
    from pstdesk.ratings.models import RatingPolicy

    return RatingPolicy.objects.create(office=world.office_5102)


def _skm_response(world: World) -> Any:
    from django.utils import timezone

    from pstdesk.ratings.models import SkmResponse

    return SkmResponse.objects.create(office=world.office_5102, answers={"u1": 4}, submitted_at=timezone.now())


def _privacy_request(world: World) -> Any:
    from datetime import timedelta

    from django.utils import timezone

    from pstdesk.guestbook.models import PrivacyRequest

    return PrivacyRequest.objects.create(
        visitor=world.get("visitor"),
        office=world.office_5102,
        kind="correct",
        details={"changes": {"name": MARKER}},
        due_at=timezone.now() + timedelta(hours=72),
    )


def _publication(world: World) -> Any:
    from django.core.files.base import ContentFile

    from pstdesk.library.models import Publication

    publication = Publication(
        office=world.office_5102, title=MARKER, year=2025, filename="x.pdf", size=9, pages=1, sha256="0" * 64
    )
    publication.file.save("x.pdf", ContentFile(b"%PDF-1.4\n"), save=True)
    return publication


def _delivery(world: World) -> Any:
    from datetime import timedelta

    from django.core.files.base import ContentFile
    from django.utils import timezone

    from pstdesk.library.models import Delivery

    consultation = world.get("consultation")
    delivery = Delivery(
        publication=world.get("publication"),
        office=world.office_5102,
        consultation=consultation,
        visitor=consultation.visitor,
        size=9,
        sha256="0" * 64,
        expires_at=timezone.now() + timedelta(days=7),
    )
    delivery.file.save("copy.pdf", ContentFile(f"%PDF-1.4 {MARKER}".encode()), save=True)
    return delivery


def _article(world: World) -> Any:
    from pstdesk.knowledge.models import Article

    return Article.objects.create(office=world.office_5102, title=MARKER, slug="rahasia", body=MARKER)


BUILDERS: dict[str, Callable[[World], Any]] = {
    "publication": _publication,
    "delivery": _delivery,
    "security_policy": _security_policy,
    "privacy_request": _privacy_request,
    "mailbox": _mailbox,
    "mailbox_state": _mailbox_state,
    "inbound_email": _inbound_email,
    "visitor": _visitor,
    "consultation": _consultation,
    "message": _message,
    "attachment": _attachment,
    "complaint": _complaint,
    "breach": _breach,
    "compensation": _compensation,
    "compensation_option": _compensation_option,
    "complaint_policy": _complaint_policy,
    "closure": _closure,
    "canned_reply": _canned_reply,
    "token": _token,
    "standard": _standard,
    "user": lambda w: w.officer_5102,
    "office": lambda w: w.office_5102,
    "guestbook_entry": _guestbook_entry,
    "rating": _rating,
    "rating_alert": _rating_alert,
    "rating_policy": _rating_policy,
    "skm_response": _skm_response,
    "article": _article,
}


# --- the tables ----------------------------------------------------------------------------------------------------
PUBLIC_URLS: dict[str, str] = {
    "offices:home": "public list of offices",
    "favicon": "the site icon (a redirect to the static file)",
    "static-file": "static files (CSS, scripts, icons) for the test client and WSGI; ASGI answers them in front",
    "offices:standard": "the published service standard",
    "api:list_offices": "public list of offices",
    "api:get_standard": "the published service standard as JSON",
    "api:openapi-json": "API description",
    "api:openapi-view": "API description",
    "api:api-root": "API root",
    "login": "staff login form",
    "logout": "logout",
    "set_language": "language switch",
    "healthz": "process probe",
    "readyz": "readiness probe",
    "metrics": "metrics (no office data)",
    "guestbook:privacy": "privacy notice",
    "guestbook:rights_request": "asking for the link to one's own data (answer never says if known)",
    "guestbook:rights": "a visitor's own data (signed link sent to their verified address)",
    "guestbook:rights_json": "a visitor's own data as JSON (signed link)",
    "guestbook:form": "visitor guestbook form of a public office",
    "guestbook:verify": "visitor e-mail verification",
    "guestbook:link": "visitor choice (continue as …?) for a guestbook link, session-bound",
    "guestbook:api": "visitor guestbook API (visitor-signed)",
    "guestbook:api_verify": "visitor verification API (visitor-signed)",
    "complaints:complaint_form": "public complaint form",
    "complaints:track": "public tracking page (status and the office's answer only, by unguessable number)",
    "complaints:track_lookup": "public tracking lookup form",
    "whatsapp:webhook": "provider webhook (signed)",
    "channel_web:widget_js": "embeddable widget script",
    "channel_web:pfa": "public PST From Anywhere page",
    "channel_web:frame": "public widget frame",
    "channel_web:available": "whether the office offers the website LiveChat (no data)",
    "channel_web:file": "visitor file link (signed token)",
    "channel_web:api_root": "visitor widget API (visitor session)",
    "channel_web:api_state": "visitor widget API (visitor session)",
    "channel_web:api_prechat": "visitor widget API (visitor session)",
    "channel_web:api_verify_start": "visitor widget API (visitor session)",
    "channel_web:api_verify": "visitor widget API (visitor session)",
    "channel_web:api_offline": "visitor widget API (visitor session)",
    "channel_web:api_upload": "visitor widget API (visitor session)",
    "channel_web:api_rate": "visitor widget API (visitor session)",
    "channel_web:api_transcript": "visitor widget API (visitor session)",
    "channel_web:api_forget": "visitor widget API (visitor session)",
    "ratings:rate": "visitor rating link (signed token)",
    "channel_web:api_skm": "the visitor's SKM questionnaire (widget session token)",
    "transparency:public": "public transparency page (approved figures only, no personal data)",
    "api:office_figures": "public figures API (approved figures only, no personal data)",
    "library:download": "a visitor's stamped copy (signed, expiring, rate-limited link)",
    "knowledge:classification": "public KBLI search (published classification)",
    "knowledge:classification_entry": "public KBLI entry (published classification)",
    "api:search_kbli2020": "public KBLI search API (published classification)",
    "knowledge:articles": "public knowledge base of an office (published articles only)",
    "knowledge:article": "public article (published, of the office or shared by an office above it)",
    "knowledge:widget_articles": "the widget's article search (published articles only)",
}

# Admin site pages that belong to no model.
ADMIN_SITE_URLS = {
    "admin:index",
    "admin:login",
    "admin:logout",
    "admin:password_change",
    "admin:password_change_done",
    "admin:autocomplete",
    "admin:jsi18n",
    "admin:app_list",
    "admin:view_on_site",
}

# Staff pages without an office or object in the URL: 5102's marker must not appear for 5101.
LIST_URLS: dict[str, str] = {
    "api:my_offices": "token",
    "api:list_consultations": "token",
    "console:inbox": "session",
    "two_factor": "session",  # the signed-in person's own two-factor settings
    "two_factor_enrol": "session",
    "two_factor_verify": "session",
    "console:rows": "session",
    "console:duty": "session",
    "console:search": "session",  # results within the officer's offices: consultations/tests/test_console_panes.py
    "console:preferences": "session",
    "complaints:supervision": "session",
    "api:list_ratings": "token",
    "ratings:list": "session",
    "ratings:alerts": "session",
    "complaints:record": "session",
    "api:list_complaints": "token",
    "api:create_complaint": "token",  # same path as the list; a POST for 5102 is checked in complaints' API tests
    "supervision:roster_home": "session",
    "supervision:queues": "session",
    "supervision:audit": "session",
    "supervision:my_reviews": "session",
    "supervision:reviews": "session",
    "guestbook:privacy_queue": "session",
    "reports:report": "session",
    "reports:mine": "session",
    "reports:archive": "session",
    "library:manage": "session",
    "library:log": "session",
    "api:list_library": "token",  # the caller's offices' publications: library/tests/test_api.py
}


@dataclass(frozen=True)
class Case:
    """How to reach one of 5102's objects through a URL."""

    kwargs: Callable[[World], dict[str, Any]]
    method: str = "get"
    # "session" (5101's officer logged in), "token" (5101's officer's API token) or "admin" (5101's office admin)
    client: str = "session"


def _consultation_id(w: World) -> dict[str, Any]:
    return {"consultation_id": w.get("consultation").pk}


def _report_snapshot(w: World) -> dict[str, Any]:
    from pstdesk.reports.models import ReportSnapshot

    snapshot = ReportSnapshot.objects.create(
        office=w.office_5102,
        kind="monthly",
        period_start="2026-11-01",
        period_end="2026-11-30",
        version=1,
        figures={"office": {"code": "5102"}, "period": {"key": "2026-11"}, "marker": MARKER},
    )
    return {"pk": snapshot.pk, "fmt": "json"}


def _api_post(name: str) -> Case:
    return Case(_consultation_id, method="post", client="token")


OBJECT_URLS: dict[str, Case] = {
    "api:office_staff": Case(lambda w: {"code": "5102"}, client="token"),
    "api:get_consultation": Case(_consultation_id, client="token"),
    "api:list_messages": Case(_consultation_id, client="token"),
    "api:canned_replies": Case(_consultation_id, client="token"),
    **{
        f"api:{verb}": _api_post(verb)
        for verb in [
            "reply",
            "note",
            "close",
            "request_rating",
            "answered",
            "request_clear",
            "topic",
            "rating",
            "assign",
            "claim",
            "transfer",
            "ask_clarification",
        ]
    },
    "console:consultation": Case(lambda w: {"pk": w.get("consultation").pk}),
    "console:state": Case(lambda w: {"pk": w.get("consultation").pk}),
    "console:pane": Case(lambda w: {"pk": w.get("consultation").pk}),
    "console:verb": Case(lambda w: {"pk": w.get("consultation").pk, "verb": "close"}, method="post"),
    "consultations:attachment": Case(lambda w: {"pk": w.get("attachment").pk}),
    "guestbook:privacy_decide": Case(lambda w: {"pk": w.get("privacy_request").pk}, method="post"),
    "complaints:compensation": Case(lambda w: {"pk": w.get("compensation").pk}),
    "complaints:complaint": Case(lambda w: {"pk": w.get("complaint").pk}),
    "ratings:alert": Case(lambda w: {"pk": w.get("rating_alert").pk}),
    "transparency:approve": Case(lambda w: {"code": "5102"}),
    "complaints:from_consultation": Case(lambda w: {"pk": w.get("consultation").pk}),
    "api:get_complaint": Case(lambda w: {"complaint_id": w.get("complaint").pk}, client="token"),
    "api:update_complaint": Case(lambda w: {"complaint_id": w.get("complaint").pk}, client="token"),
    "supervision:roster": Case(lambda w: {"code": "5102"}),
    "supervision:review_sample": Case(lambda w: {"code": "5102"}),
    "supervision:review": Case(lambda w: {"pk": w.get("consultation").pk}),
    "supervision:queue_action": Case(lambda w: {"pk": w.get("consultation").pk, "verb": "reopen"}, method="post"),
    # Reports name their office in the query string (?office=5102); an officer of 5101 reads no reports at all.
    "reports:download": Case(lambda w: {"fmt": "json"}),
    "reports:rows": Case(lambda w: {"fmt": "csv"}),
    "reports:drill": Case(lambda w: {}),
    "reports:archive_file": Case(_report_snapshot),
    "api:get_report": Case(lambda w: {"code": "5102"}, client="token"),
    "api:get_rows": Case(lambda w: {"code": "5102"}, client="token"),
    # Django names the user admin's password page after auth.User whatever the user model is.
    "admin:auth_user_password_change": Case(lambda w: {"id": w.officer_5102.pk}, client="admin"),
    "bpsapi:search": Case(lambda w: {"pk": w.get("consultation").pk}),
    "bpsapi:table": Case(lambda w: {"pk": w.get("consultation").pk}),
    "library:send": Case(lambda w: {"pk": w.get("publication").pk}, method="post"),
    "library:set_active": Case(lambda w: {"pk": w.get("publication").pk}, method="post", client="admin"),
    "library:copy": Case(lambda w: {"pk": w.get("delivery").pk}),
    "knowledge:console_suggestions": Case(lambda w: {"pk": w.get("consultation").pk}),
    "api:consultation_suggestions": Case(_consultation_id, client="token"),
    "api:bps_search": Case(lambda w: {"domain": "5102"}, client="token"),
    "api:bps_table": Case(lambda w: {"domain": "5102", "table_id": "510202"}, client="token"),
    "api:send_library_copy": Case(_consultation_id, method="post", client="token"),
}

# Registered admin models: how to build one belonging to 5102 (key of BUILDERS).
ADMIN_FACTORIES: dict[str, str] = {
    "offices.office": "office",
    "offices.servicestandard": "standard",
    "offices.officeclosure": "closure",
    "accounts.user": "user",
    "accounts.apitoken": "token",
    "accounts.securitypolicy": "security_policy",
    "complaints.complaint": "complaint",
    "complaints.breach": "breach",
    "complaints.compensation": "compensation",
    "complaints.compensationoption": "compensation_option",
    "complaints.complaintpolicy": "complaint_policy",
    "guestbook.visitor": "visitor",
    "consultations.consultation": "consultation",
    "consultations.cannedreply": "canned_reply",
    "offices.channelaccount": "mailbox",  # the e-mail account (Mailbox is its proxy)
    "channel_email.mailboxstate": "mailbox_state",
    "channel_email.inboundemail": "inbound_email",
    "ratings.rating": "rating",
    "ratings.ratingalert": "rating_alert",
    "ratings.ratingpolicy": "rating_policy",
    "ratings.skmresponse": "skm_response",
    "knowledge.article": "article",
}

# Admin models that hold no office's data (reference data, framework tables), with the reason.
GLOBAL_ADMIN_MODELS: dict[str, str] = {
    "auth.group": "permission groups (superusers only in practice)",
    "guestbook.codelist": "national code lists (reference data)",
    "guestbook.visitormerge": "merge log; scoped by its visitor (checked through guestbook.visitor)",
    "knowledge.classificationversion": "published classifications (reference data, read-only)",
}


# --- walking the URL patterns --------------------------------------------------------------------------------------
def _walk(resolver: URLResolver, namespace: str = "") -> Iterator[tuple[str | None, str]]:
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            ns = namespace
            if pattern.namespace:
                ns = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
            yield from _walk(pattern, ns)
        elif isinstance(pattern, URLPattern):
            if pattern.name is None and namespace == "admin":
                continue  # the admin's own redirects ("<id>/" → "<id>/change/") and its catch-all
            name = pattern.name and (f"{namespace}:{pattern.name}" if namespace else pattern.name)
            yield name, str(pattern.pattern)


def _admin_model_url(name: str) -> bool:
    prefix = "admin:"
    if not name.startswith(prefix):
        return False
    for model in admin.site._registry:
        if name.startswith(f"{prefix}{model._meta.app_label}_{model._meta.model_name}_"):
            return True
    return False


def test_every_url_is_classified() -> None:
    unnamed = [route for name, route in _walk(get_resolver()) if name is None]
    assert unnamed == [], (
        f"URL patterns without a name: {unnamed}. Name them and add them to a table in "
        "pstdesk/accounts/tests/test_isolation.py."
    )
    known = set(PUBLIC_URLS) | set(LIST_URLS) | set(OBJECT_URLS) | ADMIN_SITE_URLS
    missing = sorted(
        name for name, _route in _walk(get_resolver()) if name and name not in known and not _admin_model_url(name)
    )
    assert missing == [], (
        f"URLs not covered by the office isolation test: {missing}. Add each to PUBLIC_URLS (with the reason), "
        "LIST_URLS or OBJECT_URLS (with how to build 5102's kwargs) in pstdesk/accounts/tests/test_isolation.py."
    )


def test_every_admin_model_is_classified() -> None:
    labels = sorted(model._meta.label_lower for model in admin.site._registry)
    missing = [label for label in labels if label not in ADMIN_FACTORIES and label not in GLOBAL_ADMIN_MODELS]
    assert missing == [], (
        f"Admin models not covered by the office isolation test: {missing}. Add a 5102 factory to "
        "ADMIN_FACTORIES (and BUILDERS), or list the model in GLOBAL_ADMIN_MODELS with the reason, in "
        "pstdesk/accounts/tests/test_isolation.py."
    )


# --- the checks ----------------------------------------------------------------------------------------------------
@pytest.fixture
def world(officer_5102: User, office_5102: Office) -> World:
    return World(officer_5102=officer_5102, office_5102=office_5102)


@pytest.fixture
def outsider_clients(officer_5101: User) -> dict[str, Client]:
    session = Client()
    session.force_login(officer_5101)
    _token, raw = create_api_token(officer_5101, by=SystemActor("test"))
    office_admin = Client()
    office_admin.force_login(make_user("adm5101", "5101", "admin", is_staff=True))
    return {"session": session, "token": Client(HTTP_AUTHORIZATION=f"Bearer {raw}"), "admin": office_admin}


def _request(client: Client, method: str, url: str) -> Any:
    if method == "get":
        return client.get(url)
    return client.post(url, data="{}", content_type="application/json")


def _missing_kwargs(kwargs: dict[str, Any]) -> dict[str, Any]:
    return {k: (999999 if isinstance(v, int) else "9999") if k != "verb" else v for k, v in kwargs.items()}


@pytest.mark.parametrize("name", sorted(OBJECT_URLS))
def test_outsider_gets_404_for_5102_objects(name: str, world: World, outsider_clients: dict[str, Client]) -> None:
    if name not in {n for n, _r in _walk(get_resolver())}:
        pytest.fail(f"{name} is in OBJECT_URLS but no longer exists: remove the row")
    case = OBJECT_URLS[name]
    kwargs = case.kwargs(world)
    client = outsider_clients[case.client]
    response = _request(client, case.method, reverse(name, kwargs=kwargs))
    if case.method == "get":
        assert response.status_code == 404, f"{name}: {response.status_code}"
    else:
        missing = _request(client, case.method, reverse(name, kwargs=_missing_kwargs(kwargs)))
        assert response.status_code == missing.status_code and response.status_code in {404, 405, 422}, (
            f"{name}: {response.status_code} for 5102's object, {missing.status_code} for a missing one"
        )
    assert MARKER not in response.content.decode(errors="replace")


@pytest.mark.parametrize("name", sorted(LIST_URLS))
def test_outsider_lists_show_nothing_of_5102(name: str, world: World, outsider_clients: dict[str, Client]) -> None:
    for key in ("consultation", "complaint", "compensation", "closure", "token", "rating_alert"):
        world.get(key)
    response = outsider_clients[LIST_URLS[name]].get(reverse(name))
    assert response.status_code < 500, f"{name}: {response.status_code}"
    body = b"".join(response.streaming_content) if response.streaming else response.content  # type: ignore[attr-defined]
    assert MARKER.encode() not in body


@pytest.fixture
def admin_outsiders(officer_5101: User) -> list[Client]:
    """5101's office admin, and 5101's officer given is_staff: both must find nothing of 5102 in the admin."""
    officer_5101.is_staff = True
    officer_5101.save()
    clients = []
    for user in (make_user("adm5101", "5101", "admin", is_staff=True), officer_5101):
        client = Client()
        client.force_login(user)
        clients.append(client)
    return clients


@pytest.mark.parametrize("label", sorted(ADMIN_FACTORIES))
def test_outsider_admin_gets_404_for_5102_objects(label: str, world: World, admin_outsiders: list[Client]) -> None:
    model = next((m for m in admin.site._registry if m._meta.label_lower == label), None)
    if model is None:
        pytest.fail(f"{label} is in ADMIN_FACTORIES but no longer registered in the admin: remove the row")
    obj = world.get(ADMIN_FACTORIES[label])
    assert isinstance(obj, models.Model)
    info = (model._meta.app_label, model._meta.model_name)
    for client in admin_outsiders:
        for view in ("change", "delete", "history"):
            url = reverse(f"admin:{info[0]}_{info[1]}_{view}", args=[obj.pk])
            response = client.get(url)
            assert response.status_code == 404, f"{label} {view}: {response.status_code}"
        changelist = client.get(reverse(f"admin:{info[0]}_{info[1]}_changelist"))
        assert changelist.status_code in {200, 403}
        assert MARKER not in changelist.content.decode()
        assert reverse(f"admin:{info[0]}_{info[1]}_change", args=[obj.pk]) not in changelist.content.decode()
