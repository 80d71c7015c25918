"""Fixtures of the LiveChat channel tests: a private cache (rate limits start from zero), a visitor whose
requirements are complete with a widget session of 5102, and a WebSocket client for the widget socket."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from channels.routing import URLRouter
from django.utils import timezone

from pstdesk.channels.web.actions import open_widget_session
from pstdesk.channels.web.models import WidgetSession
from pstdesk.channels.web.writer import writer
from pstdesk.guestbook.models import Consent, GuestbookEntry, Visitor
from pstdesk.lib.actors import VisitorActor
from pstdesk.offices.models import Office
from pstdesk.testing.bus import flush_channel_layer
from pstdesk.testing.websocket import WebsocketClient as WebsocketCommunicator

LOCMEM = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "webchat-tests"}}


# Tuesday 10:00 WITA: inside Tabanan's service hours (no out-of-hours replies in the way).
WORKING_TIME = "2026-03-10 02:00:00+00:00"


@pytest.fixture(autouse=True)
def private_cache(settings: Any) -> Iterator[None]:
    from django.core.cache import cache

    settings.CACHES = LOCMEM
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def writer_connections_released() -> Iterator[None]:
    """The widget writer's thread keeps its database connection between batches: closed after each test, so the
    test database can be flushed and dropped."""
    yield
    writer.release()


@pytest.fixture(autouse=True)
def in_hours_and_clean_bus() -> Iterator[None]:
    import time_machine

    flush_channel_layer()
    with time_machine.travel(WORKING_TIME, tick=True):
        yield


def complete_visitor(office: str = "5102", *, email: str = "putu@example.test") -> Visitor:
    """A visitor who filled the guestbook, consented, verified the e-mail and gave a WhatsApp number."""
    from pstdesk.guestbook.actions import PRIVACY_NOTICE_VERSION

    visitor = Visitor.objects.create(
        name="Putu", email=email, email_verified_at=timezone.now(), whatsapp="+6281234567890"
    )
    GuestbookEntry.objects.create(
        visitor=visitor,
        office_id=office,
        sex="2",
        age_group="2",
        education="3",
        occupation="1",
        institution_category="6",
        institution_name="Universitas Udayana",
        purpose="1",
    )
    Consent.objects.create(visitor=visitor, notice_version=PRIVACY_NOTICE_VERSION)
    return visitor


@pytest.fixture
def visitor(db: None) -> Visitor:
    return complete_visitor()


@pytest.fixture
def widget_session(visitor: Visitor) -> tuple[WidgetSession, str]:
    return open_widget_session(Office.objects.get(code="5102"), visitor, by=VisitorActor(visitor.pk))


def application() -> Any:
    from pstdesk.channels.web.routing import websocket_urlpatterns

    return URLRouter(websocket_urlpatterns)


def communicator(office: str = "5102", *, origin: str | None = "http://testserver") -> WebsocketCommunicator:
    headers = [(b"host", b"testserver")]
    if origin is not None:
        headers.append((b"origin", origin.encode()))
    return WebsocketCommunicator(application(), f"/ws/widget/{office}/", headers=headers)


def new_id() -> str:
    return str(uuid.uuid4())


async def receive_until(comm: WebsocketCommunicator, kind: str, timeout: float = 3) -> list[dict[str, Any]]:
    """Frames up to and including the first of type `kind`."""
    frames = []
    while True:
        frame = await comm.receive_json_from(timeout=timeout)
        frames.append(frame)
        if frame.get("type") == kind:
            return frames


async def drain(comm: WebsocketCommunicator, timeout: float = 0.3) -> list[dict[str, Any]]:
    """Every frame that arrives within `timeout` of the previous one."""
    frames = []
    while not await comm.receive_nothing(timeout=timeout):
        frames.append(await comm.receive_json_from())
    return frames
