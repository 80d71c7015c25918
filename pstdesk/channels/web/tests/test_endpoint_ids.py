"""The widget's rate and transcript endpoints take the consultation id from the visitor: any value that is not a
whole number is a 400 with a clear JSON error, an id that is not theirs (or too large for the database) a 404 —
never a 500 (which under debug showed the settings)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from pstdesk.channels.web.tests.test_endpoints import _chatting, post
from pstdesk.guestbook.models import Visitor

pytestmark = pytest.mark.django_db
CHANNEL = "livechat_website"

NOT_INTEGERS: list[Any] = [None, "", "abc", "1.5", "1e3", " ", "١٢", "12abc", 1.5, True, [1], {"id": 1}, "-1"]


@pytest.mark.parametrize("path", ["rate/", "transcript/"])
@pytest.mark.parametrize("value", NOT_INTEGERS)
def test_non_integer_consultation_id_is_a_400_with_a_json_error(
    client: Client, visitor: Visitor, path: str, value: Any
) -> None:
    token, _consultation = _chatting(client, visitor)
    body = {"consultation": value, "score": 5, "gratuity": "no", "illegal_fee": "no", "channel": CHANNEL}
    response = post(client, "5102", path, body, token=token, json=True)
    assert response.status_code == 400, response.content
    answer = response.json()
    assert answer["ok"] is False and answer["code"] == "invalid_consultation" and "consultation" in answer["errors"]


@pytest.mark.parametrize("path", ["rate/", "transcript/"])
def test_non_integer_consultation_id_in_a_form_post_is_a_400(client: Client, visitor: Visitor, path: str) -> None:
    token, _consultation = _chatting(client, visitor)
    response = post(client, "5102", path, {"consultation": "x", "channel": CHANNEL}, token=token)
    assert response.status_code == 400 and response.json()["code"] == "invalid_consultation"


@pytest.mark.parametrize("path", ["rate/", "transcript/"])
@pytest.mark.parametrize("value", [0, "0", 2**63, str(2**70), 999999])
def test_unknown_consultation_id_is_a_404(client: Client, visitor: Visitor, path: str, value: Any) -> None:
    token, _consultation = _chatting(client, visitor)
    response = post(client, "5102", path, {"consultation": value, "channel": CHANNEL}, token=token, json=True)
    assert response.status_code == 404, response.content
    assert response.json()["ok"] is False


def test_own_consultation_id_as_text_still_works(client: Client, visitor: Visitor) -> None:
    token, consultation = _chatting(client, visitor)
    response = post(client, "5102", "transcript/", {"consultation": str(consultation.pk)}, token=token, json=True)
    assert response.status_code == 200
