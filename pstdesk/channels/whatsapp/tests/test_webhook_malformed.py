"""Malformed items in a signed POST: each one is recorded on the delivery with its reason and skipped, the valid
items beside it are stored, the answer is 200 (a malformed item will not heal by redelivery) and a redelivery of
the same POST stores nothing twice. The database unavailable when the body is stored answers 503.

The fuzz test mutates the real fixture payloads (wrong types, missing keys, nulls, huge strings, NUL characters,
unknown types) and signs them like Meta does."""

from __future__ import annotations

import copy
import itertools
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pstdesk.channels.whatsapp.models import DeliveryState, WebhookDelivery
from pstdesk.channels.whatsapp.simulator import Simulator
from pstdesk.channels.whatsapp.tests.conftest import fixture
from pstdesk.consultations.models import Direction, Message

pytestmark = pytest.mark.django_db

FIXTURES = ("text_message.json", "message_types.json", "status_sent.json", "status_failed.json")
_serial = itertools.count(1)


def _good(n: int) -> dict[str, Any]:
    """A valid text message with a wamid of its own."""
    return {
        "from": "6281234567001",
        "id": f"wamid.good{n}",
        "timestamp": "1700000000",
        "type": "text",
        "text": {"body": f"pesan sah {n}"},
    }


def _good_entry(n: int) -> dict[str, Any]:
    return {
        "id": "205102",
        "changes": [
            {
                "field": "messages",
                "value": {
                    "messaging_product": "whatsapp",
                    "metadata": {"display_phone_number": "6285173215102", "phone_number_id": "105102"},
                    "contacts": [{"profile": {"name": "Sah"}, "wa_id": "6281234567001"}],
                    "messages": [_good(n)],
                },
            }
        ],
    }


def _stored(wamid: str) -> bool:
    return Message.objects.filter(channel="whatsapp", external_id=wamid, direction=Direction.IN).exists()


def _with_malformed(value: dict[str, Any], n: int, malformed: Any, *, key: str = "messages") -> dict[str, Any]:
    """A POST of one change holding a valid message and a malformed item, plus a valid message in its own entry."""
    change_value = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "6285173215102", "phone_number_id": "105102"},
        "contacts": [{"profile": {"name": "Sah"}, "wa_id": "6281234567001"}],
        "messages": [_good(n)],
        **value,
    }
    if malformed is not None:
        change_value.setdefault(key, [])
        change_value[key] = [*change_value[key], malformed]
    return {
        "object": "whatsapp_business_account",
        "entry": [{"id": "205102", "changes": [{"field": "messages", "value": change_value}]}, _good_entry(n + 1)],
    }


def _text(wamid: str, **changes: Any) -> dict[str, Any]:
    message = {"from": "6281234567002", "id": wamid, "timestamp": "1700000000", "type": "text", "text": {"body": "x"}}
    message.update(changes)
    return {k: v for k, v in message.items() if v is not ...}


# Shapes that made the whole POST answer 500 (or stored junk) before items were validated.
MALFORMED_ITEMS: list[tuple[str, Any, str]] = [
    ("context not an object", _text("wamid.bad1", context="x"), "messages"),
    ("id an object", _text({"a": 1}), "messages"),  # type: ignore[arg-type]
    ("id too long", _text("wamid." + "9" * 400), "messages"),
    # A NUL in a refused item's id: recorded without it (PostgreSQL refuses NUL in text; found by the fuzz test).
    ("id too long with a NUL", _text("\x00" + "x" * 300), "messages"),
    ("text not an object", _text("wamid.bad4", text="halo"), "messages"),
    ("text body a list", _text("wamid.bad5", text={"body": ["a"]}), "messages"),
    ("no sender", _text("wamid.bad6", **{"from": ...}), "messages"),
    ("sender not a number", _text("wamid.bad7", **{"from": {"x": 1}}), "messages"),
    ("type a list", _text("wamid.bad8", type=["text"]), "messages"),
    ("contacts card not an object", _text("wamid.bad9", type="contacts", contacts=["x"]), "messages"),
    ("contacts card name a string", _text("wamid.bad10", type="contacts", contacts=[{"name": "x"}]), "messages"),
    ("unsupported errors not objects", _text("wamid.bad11", type="unsupported", errors=["x"]), "messages"),
    ("image without id", _text("wamid.bad12", type="image", image={"mime_type": "image/jpeg"}), "messages"),
    ("message a string", "wamid.bad13", "messages"),
    ("status errors a string", {"id": "wamid.s1", "status": "failed", "errors": "abc"}, "statuses"),
    ("status id a list", {"id": ["x"], "status": "sent"}, "statuses"),
    ("status a number", 7, "statuses"),
    ("change errors not objects", "x", "errors"),
]


@pytest.mark.parametrize(("shape", "item", "key"), MALFORMED_ITEMS, ids=[m[0] for m in MALFORMED_ITEMS])
def test_malformed_item_is_recorded_and_skipped(
    post_webhook: Any, sim: Simulator, shape: str, item: Any, key: str
) -> None:
    n = next(_serial) * 10
    body = _with_malformed({}, n, item, key=key)
    if key == "errors":
        body["entry"][0]["changes"][0]["value"]["errors"] = [item]
    response = post_webhook(body)
    assert response.status_code == 200, shape
    assert _stored(f"wamid.good{n}") and _stored(f"wamid.good{n + 1}"), shape
    delivery = WebhookDelivery.objects.get()
    assert delivery.state == DeliveryState.PARTIAL and delivery.failed_items == 1, (shape, delivery.error)
    assert "invalid" in delivery.error, delivery.error
    assert not Message.objects.filter(external_id__startswith="wamid.bad").exists()
    stored = Message.objects.filter(direction=Direction.IN).count()
    again = post_webhook(body)  # Meta's redelivery (or an attacker's replay): nothing stored twice
    assert again.status_code == 200
    assert Message.objects.filter(direction=Direction.IN).count() == stored


@pytest.mark.parametrize(
    "envelope",
    [[], "x", None, 7, {"entry": "x"}, {"entry": ["x", None]}, {"entry": [{"changes": "x"}]},
     {"entry": [{"changes": [{"value": "x"}]}]}, {"entry": [{"changes": [{"value": {"metadata": "x"}}]}]}],
)  # fmt: skip
def test_malformed_envelope_is_recorded_and_answered_200(post_webhook: Any, sim: Simulator, envelope: Any) -> None:
    response = post_webhook(json.dumps(envelope).encode())
    assert response.status_code == 200
    delivery = WebhookDelivery.objects.get()
    assert delivery.state in {DeliveryState.INVALID, DeliveryState.PARTIAL} and delivery.error
    assert Message.objects.count() == 0


def test_status_with_errors_as_objects_still_applies(post_webhook: Any, sim: Simulator) -> None:
    assert post_webhook(fixture("status_failed.json")).status_code == 200
    assert WebhookDelivery.objects.get().state == DeliveryState.PROCESSED


def test_database_unavailable_answers_503(post_webhook: Any, sim: Simulator, monkeypatch: pytest.MonkeyPatch) -> None:
    from django.db import OperationalError

    def unavailable(*args: Any, **kwargs: Any) -> Any:
        raise OperationalError("connection refused")

    monkeypatch.setattr("pstdesk.channels.webhooks.WebhookIntake.store", unavailable)
    response = post_webhook(fixture("text_message.json"))
    assert response.status_code == 503
    assert not WebhookDelivery.objects.exists()
    monkeypatch.undo()
    assert post_webhook(fixture("text_message.json")).status_code == 200  # Meta's redelivery
    assert _stored("wamid.xyzxyz")


# --- the fuzz test ------------------------------------------------------------------------------------------------

SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
    st.just("\x00"),
    st.just("A" * 100_000),
    st.just("9" * 300),
    st.just("hologram"),
)
JUNK = st.one_of(SCALARS, st.lists(SCALARS, max_size=3), st.dictionaries(st.text(max_size=5), SCALARS, max_size=3))


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, inner in value.items():
            found += _paths(inner, (*prefix, key))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            found += _paths(inner, (*prefix, index))
    return found


def _mutate(payload: Any, path: tuple[Any, ...], how: str, junk: Any) -> None:
    parent = payload
    for step in path[:-1]:
        parent = parent[step]
    last = path[-1]
    if how == "delete" and isinstance(parent, dict):
        del parent[last]
    elif how == "null":
        parent[last] = None
    elif how == "huge":
        parent[last] = "\x00" + "x" * 200_000 if isinstance(parent[last], str) else "9" * 5000
    elif how == "type":
        parent[last] = "hologram" if isinstance(parent[last], str) else [parent[last]]
    else:
        parent[last] = junk


@st.composite
def mutated_posts(draw: Any) -> tuple[dict[str, Any], int, bool]:
    """A fixture payload with 1–3 mutations inside its entry, a valid message added beside the fixture's items and
    one in an entry of its own. Returns (payload, n, whether the sibling's ancestors were left alone)."""
    n = next(_serial) * 10 + 100_000
    payload = json.loads(fixture(draw(st.sampled_from(FIXTURES))))
    value = payload["entry"][0]["changes"][0]["value"]
    value.setdefault("messages", [])
    value["messages"].append(_good(n))
    sibling = ("entry", 0, "changes", 0, "value", "messages", len(value["messages"]) - 1)
    routing = ("entry", 0, "changes", 0, "value", "metadata")
    sibling_safe = True
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        inner = [("entry", 0, *p) for p in _paths(payload["entry"][0])]
        candidates = [p for p in inner if p[: len(sibling)] != sibling]
        if not candidates:
            break
        path = draw(st.sampled_from(candidates))
        how = draw(st.sampled_from(["delete", "null", "huge", "type", "junk"]))
        _mutate(payload, path, how, draw(JUNK))
        if sibling[: len(path)] == path or path[: len(routing)] == routing:
            sibling_safe = False  # an ancestor of the sibling (or the routing) was broken: it may be refused
    payload["entry"].append(_good_entry(n + 1))
    return payload, n, sibling_safe


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=mutated_posts())
def test_fuzz_signed_malformed_payloads(post_webhook: Any, sim: Simulator, case: tuple[Any, int, bool]) -> None:
    payload, n, sibling_safe = case
    body = json.dumps(copy.deepcopy(payload)).encode()
    response = post_webhook(body)
    assert response.status_code == 200, WebhookDelivery.objects.first().error  # type: ignore[union-attr]
    assert _stored(f"wamid.good{n + 1}")  # the valid entry beside the malformed one
    if sibling_safe:
        assert _stored(f"wamid.good{n}")  # the valid message beside the malformed item
    stored = Message.objects.filter(direction=Direction.IN).count()
    assert post_webhook(body).status_code == 200  # redelivery
    assert Message.objects.filter(direction=Direction.IN).count() == stored


def test_contact_ids_of_the_wrong_type_never_sink_the_message(post_webhook: Any, sim: Simulator) -> None:
    """Found by the fuzz test: a contact whose `user_id` is a list crashed the whole delivery (unhashable). Such a
    contact is simply not the sender's; the message is stored and the delivery processed."""
    n = next(_serial) * 10
    body = _with_malformed({"contacts": [{"profile": {"name": "X"}, "user_id": ["ID.1"], "wa_id": {"a": 1}}]}, n, None)
    assert post_webhook(body).status_code == 200
    assert _stored(f"wamid.good{n}") and _stored(f"wamid.good{n + 1}")
    assert WebhookDelivery.objects.get().state == DeliveryState.PROCESSED
