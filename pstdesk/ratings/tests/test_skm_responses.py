"""SKM responses: the visitor's questionnaire (once per consultation, keyed by element id, with the guestbook
profile), the paper import (all or nothing, the bad line named), and `pstdesk skm ikm`."""

from __future__ import annotations

import io
import itertools
import json

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError

from pstdesk.audit.models import AuditLog
from pstdesk.consultations import actions
from pstdesk.consultations.models import Consultation
from pstdesk.consultations.tests.conftest import complete_requirements, make_inbound
from pstdesk.lib.actors import SystemActor, VisitorActor
from pstdesk.lib.errors import AlreadyAnswered, InvalidInput, InvalidTransition
from pstdesk.ratings.actions import submit_skm
from pstdesk.ratings.models import SkmResponse

pytestmark = pytest.mark.django_db

ALL_FOUR = {f"u{i}": 4 for i in range(1, 10)}


_numbers = itertools.count(100)


def answered(office: str, officer) -> Consultation:
    """An answered WhatsApp consultation of a new visitor."""
    n = next(_numbers)
    inbound = make_inbound(office=office, sender_wa_id=f"62812000{n}", sender_whatsapp=f"+62812000{n}")
    c = actions.receive_message(inbound).consultation
    complete_requirements(c.visitor, office)
    actions.refresh_requirements(c, by=SystemActor("test"))
    actions.mark_request_clear(c, by=officer)
    actions.mark_answered(c, by=officer)
    c.refresh_from_db()
    return c


@pytest.fixture
def in_november():
    with time_machine.travel("2026-11-10 02:00:00+00:00", tick=True):
        yield


def test_submit_stores_answers_by_element_and_the_profile_once(officer_5102, in_november):
    c = answered("5102", officer_5102)
    response = submit_skm(c, by=VisitorActor(c.visitor_id), answers={"u9": "2", "u1": 4, "u4": ""}, channel="email")
    response.refresh_from_db()
    assert response.answers == {"u1": 4, "u9": 2} and response.office_id == "5102"
    assert response.profile["education"] == "3" and response.profile["occupation"] == "1"
    assert "name" not in response.profile and "institution_name" not in response.profile
    row = AuditLog.objects.get(verb="skm.submitted")
    assert row.after["answers"] == {"u1": 4, "u9": 2} and row.actor_label == f"visitor:{c.visitor_id}"
    with pytest.raises(AlreadyAnswered):
        submit_skm(c, by=VisitorActor(c.visitor_id), answers=ALL_FOUR, channel="email")
    assert SkmResponse.objects.get().answers == {"u1": 4, "u9": 2}
    assert AuditLog.objects.filter(verb="skm.submitted").count() == 1


def test_submit_refuses_before_the_answer_and_empty_or_bad_answers(officer_5102, in_november):
    c = actions.receive_message(make_inbound(office="5102")).consultation
    with pytest.raises(InvalidTransition):
        submit_skm(c, by=VisitorActor(c.visitor_id), answers=ALL_FOUR, channel="whatsapp")
    c = answered("5102", officer_5102)
    for bad in ({}, {"u1": ""}, {"u1": 5}, {"u12": 3}):
        with pytest.raises(InvalidInput):
            submit_skm(c, by=VisitorActor(c.visitor_id), answers=bad, channel="whatsapp")
    assert not SkmResponse.objects.exists()


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("skm", *args, stdout=out)
    return out.getvalue()


def test_ikm_command_prints_numbers_for_the_period(officer_5102, in_november):
    c1, c2 = answered("5102", officer_5102), answered("5102", officer_5102)
    submit_skm(c1, by=VisitorActor(c1.visitor_id), answers=ALL_FOUR, channel="whatsapp")
    submit_skm(c2, by=VisitorActor(c2.visitor_id), answers={**ALL_FOUR, "u3": 2, "u9": ""}, channel="email")
    data = json.loads(run("ikm", "--office", "5102", "--from", "2026-11-01", "--to", "2026-11-30", "--json"))
    # NRR u3 = (4+2)/2 = 3; u9 = 4/1 = 4 (one answer); others 4 → (8×4 − 1)/9 × 25 = 35/9 × 25 = 97.22.
    assert data["ikm"] == 97.22 and data["mutu"] == "A" and data["n"] == 2
    assert data["nrr"]["u3"] == 3.0 and data["nrr"]["u9"] == 4.0 and isinstance(data["nrr"]["u1"], float)
    assert data["population"] == 2 and data["minimum_sample"] == 2
    # The province sees its regencies; another regency and another month see nothing.
    assert json.loads(run("ikm", "--office", "5100", "--from", "2026-11-01", "--to", "2026-11-30", "--json"))["n"] == 2
    empty = json.loads(run("ikm", "--office", "5101", "--from", "2026-11-01", "--to", "2026-11-30", "--json"))
    assert empty["ikm"] is None and empty["n"] == 0 and empty["mutu"] is None
    october = json.loads(run("ikm", "--office", "5102", "--from", "2026-10-01", "--to", "2026-10-31", "--json"))
    assert october["ikm"] is None


@pytest.mark.parametrize(
    "args",
    [
        ("--office", "9999", "--from", "2026-11-01", "--to", "2026-11-30"),
        ("--office", "5102", "--from", "2026-11-31", "--to", "2026-11-30"),
        ("--office", "5102", "--from", "2026-11-30", "--to", "2026-11-01"),
    ],
)
def test_ikm_command_bad_input_exits_2(args):
    with pytest.raises(CommandError) as info:
        run("ikm", *args, "--json")
    assert info.value.returncode == 2 and "\n" not in str(info.value)


def test_import_stores_all_rows_with_empty_cells_unanswered(tmp_path, in_november):
    path = tmp_path / "kertas.csv"
    path.write_text(
        "submitted_at,u1,u2,u3,u4,u5,u6,u7,u8,u9\n2026-11-03,4,4,3,4,4,3,4,4,\n2026-11-04T09:30:00,3,3,3,4,3,3,3,3,3\n",
        encoding="utf-8",
    )
    assert "imported 2" in run("import", "--office", "5102", str(path))
    rows = list(SkmResponse.objects.order_by("submitted_at"))
    assert rows[0].answers == {"u1": 4, "u2": 4, "u3": 3, "u4": 4, "u5": 4, "u6": 3, "u7": 4, "u8": 4}
    assert rows[0].source == "paper" and rows[0].consultation_id is None and rows[0].office_id == "5102"
    assert rows[1].submitted_at.isoformat() == "2026-11-04T01:30:00+00:00"  # 09:30 WITA
    assert AuditLog.objects.get(verb="skm.imported").after["count"] == 2
    data = json.loads(run("ikm", "--office", "5102", "--from", "2026-11-01", "--to", "2026-11-30", "--json"))
    assert data["n"] == 2 and data["nrr"]["u9"] == 3.0 and data["nrr"]["u1"] == 3.5


@pytest.mark.parametrize(
    ("body", "line"),
    [
        ("submitted_at,u1,u2,u3,u4,u5,u6,u7,u8,u9\n2026-11-03,4,4,4,4,4,4,4,4,4\n2026-11-04,4,4,5,4,4,4,4,4,4\n", 3),
        ("submitted_at,u1,u2,u3,u4,u5,u6,u7,u8,u9\n2026-11-03,4,4,4,4,4,4,4,4,4\nkemarin,4,4,4,4,4,4,4,4,4\n", 3),
        ("submitted_at,u1,u2,u3,u4,u5,u6,u7,u8,u9\n2026-11-03,4,4,4\n", 2),
        ("submitted_at,u1,u2,u3,u4,u5,u6,u7,u8,u9\n2026-11-03,,,,,,,,,\n", 2),
        ("submitted_at,u1,u2,u3,u4,u5,u6,u7,u8\n2026-11-03,4,4,4,4,4,4,4,4\n", 1),
        ("2026-11-03,4,4,4,4,4,4,4,4,4\n", 1),
    ],
)
def test_import_bad_row_names_its_line_and_stores_nothing(tmp_path, body, line, in_november):
    path = tmp_path / "kertas.csv"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(CommandError) as info:
        run("import", "--office", "5102", str(path))
    assert info.value.returncode == 2 and f"line {line}:" in str(info.value) and "nothing imported" in str(info.value)
    assert not SkmResponse.objects.exists() and not AuditLog.objects.filter(verb="skm.imported").exists()
