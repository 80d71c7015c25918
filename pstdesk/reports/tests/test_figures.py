"""The report's figures against a month counted by hand (see `month.py`), and the query count independent of
the data."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from pstdesk.conftest import make_user
from pstdesk.offices.models import Office
from pstdesk.reports.figures import build_report
from pstdesk.reports.periods import parse_period
from pstdesk.reports.tests.month import NOW, build_month

pytestmark = pytest.mark.django_db


@pytest.fixture
def month(officer_5102, officer2_5102):
    return build_month(officer_5102, officer2_5102)


def report(code: str = "5102", period: str = "2026-11", subtree: bool = False):
    return build_report(Office.objects.get(code=code), parse_period(period), subtree=subtree, now=NOW)


def test_volume(month):
    data = report()
    assert data["period"] == {
        "key": "2026-11",
        "kind": "month",
        "first": "2026-11-01",
        "last": "2026-11-30",
        "label": "November 2026",
    }
    assert data["consultations"] == {
        "opened": 5,
        "closed": 2,
        "by_channel": {"whatsapp": 2, "livechat_website": 1, "livechat_pfa": 1, "email": 1},
        "by_topic": {"data": 3, "metadata": 1, "classification": 1, "none": 0},
        "by_weekday": {"1": 2, "2": 1, "3": 0, "4": 0, "5": 1, "6": 1, "7": 0},
        "by_hour": {**{str(h): 0 for h in range(24)}, "9": 1, "10": 1, "15": 1, "16": 1, "20": 1},
        "inside_service_hours": 3,
        "outside_service_hours": 2,
        "visitors": 4,
        "new_visitors": 2,
        "returning_visitors": 2,
    }


def test_who_consulted(month):
    visitors = report()["visitors"]
    assert visitors["count"] == 4
    assert visitors["unknown"] == 1
    assert visitors["sex"] == {"1": {"count": 1, "share": 0.25}, "2": {"count": 2, "share": 0.5}}
    assert visitors["age_group"] == {"2": {"count": 2, "share": 0.5}, "3": {"count": 1, "share": 0.25}}
    assert visitors["education"] == {"3": {"count": 1, "share": 0.25}, "4": {"count": 2, "share": 0.5}}
    assert visitors["occupation"] == {"1": {"count": 2, "share": 0.5}, "2": {"count": 1, "share": 0.25}}
    assert visitors["institution_category"] == {"1": {"count": 3, "share": 0.75}}
    assert visitors["purpose"] == {"1": {"count": 2, "share": 0.5}, "2": {"count": 1, "share": 0.25}}
    assert visitors["disability"] == {"yes": {"count": 1, "share": 0.25}, "no": {"count": 2, "share": 0.5}}


def test_timeliness(month):
    sla = report()["sla"]
    assert sla["first_response"] == {
        "count": 4,
        "without_response": 1,
        "mean_minutes": 47.5,
        "median_minutes": 45.0,
        "p90_minutes": 81.0,
        "within_target": 4,
        "within_target_share": 1.0,
    }
    assert sla["days_to_answer"] == {"count": 4, "mean": 1.25, "median": 0.5, "distribution": {"0": 2, "1": 1, "4": 1}}
    assert (sla["started"], sla["answered"], sla["decided"], sla["pending"]) == (5, 4, 5, 0)
    assert (sla["within_standard"], sla["within_standard_share"]) == (3, 0.6)
    assert sla["breaches"] == {"total": 1, "resolution": 1, "first_response": 0, "consultations": [month.c[3].pk]}


def test_quality(month):
    ratings = report()["ratings"]
    assert ratings["count"] == 3
    assert ratings["mean"] == 3.67
    assert ratings["distribution"] == {"1": 0, "2": 1, "3": 0, "4": 1, "5": 1}
    assert ratings["response_rate"] == 0.75
    assert ratings["by_channel"] == {
        "whatsapp": {"answered": 2, "rated": 1, "response_rate": 0.5},
        "livechat_website": {"answered": 1, "rated": 1, "response_rate": 1.0},
        "livechat_pfa": {"answered": 0, "rated": 0, "response_rate": None},
        "email": {"answered": 1, "rated": 1, "response_rate": 1.0},
    }
    assert ratings["with_feedback"] == 2
    assert ratings["feedback"] == [
        {"consultation": month.c[3].pk, "score": 2, "text": "Lama sekali"},
        {"consultation": month.c[1].pk, "score": 5, "text": "Sangat membantu"},
    ]
    assert ratings["integrity"] == {
        "gratuity": 1,
        "illegal_fee": 0,
        "cases": [{"consultation": month.c[3].pk, "gratuity": True, "illegal_fee": False, "compensation": "open"}],
    }


def test_complaints(month):
    assert report()["complaints"] == {
        "received": 2,
        "by_kind": {"complaint": 1, "suggestion": 1, "input": 0},
        "by_source": {
            "box": 1,
            "in_person": 0,
            "lapor": 0,
            "bps_site": 0,
            "online_form": 1,
            "whatsapp": 0,
            "phone": 0,
            "email": 0,
        },
        "by_status": {"received": 1, "in_progress": 0, "answered": 1},
        "upheld": 1,
        "not_upheld": 0,
        "median_follow_up_hours": 24.0,
        "compensation": {"opened": 2, "decided": 1, "granted": 1, "declined": 0},
    }


def test_officers(month):
    assert report()["officers"] == [
        {
            "id": month.ayu.pk,
            "username": "ayu",
            "name": "ayu",
            "handled": 3,
            "median_first_response_minutes": 30.0,
            "decided": 3,
            "on_time": 2,
            "on_time_share": 0.6667,
            "ratings": 2,
            "rating_mean": 3.5,
        },
        {
            "id": month.made.pk,
            "username": "made",
            "name": "made",
            "handled": 1,
            "median_first_response_minutes": 60.0,
            "decided": 1,
            "on_time": 1,
            "on_time_share": 1.0,
            "ratings": 1,
            "rating_mean": 4.0,
        },
    ]


def test_comparisons(month):
    data = report()
    assert data["previous"]["period"]["key"] == "2026-10"
    assert data["previous"]["consultations"]["opened"] == 1
    assert data["previous"]["consultations"]["new_visitors"] == 1
    assert data["year_earlier"]["period"]["key"] == "2025-11"
    assert data["year_earlier"]["consultations"]["by_channel"]["email"] == 1
    assert "officers" not in data["previous"]


def test_subtree_rolls_up_with_a_row_per_office(month):
    data = report("5100", subtree=True)
    assert data["offices"] == ["5100", "5101", "5102"]
    assert data["consultations"]["opened"] == 5
    rows = {row["code"]: row for row in data["by_office"]}
    assert rows["5102"]["opened"] == 5 and rows["5102"]["within_standard_share"] == 0.6
    assert rows["5102"]["ratings"] == 3 and rows["5102"]["complaints"] == 2
    assert rows["5101"]["opened"] == 0 and rows["5101"]["within_standard_share"] is None


def test_an_empty_period_gives_zeros(db):
    data = report(period="2030-02")
    assert data["consultations"]["opened"] == 0
    assert data["ratings"]["count"] == 0 and data["ratings"]["mean"] is None
    assert data["sla"]["within_standard_share"] is None
    assert data["complaints"]["received"] == 0
    assert data["officers"] == []


def test_query_count_does_not_depend_on_the_data(officer_5102, officer2_5102):
    office = Office.objects.get(code="5102")
    build_report(office, parse_period("2026-11"), now=NOW)  # builds the working calendar once
    with CaptureQueriesContext(connection) as empty:
        build_report(office, parse_period("2026-11"), now=NOW)
    build_month(officer_5102, officer2_5102)
    build_report(office, parse_period("2026-11"), now=NOW)  # the closure changed the calendar: rebuilt once
    for _ in range(3):
        build_month(make_user(f"x{_}", "5102"), make_user(f"y{_}", "5102"))
    with CaptureQueriesContext(connection) as full:
        build_report(office, parse_period("2026-11"), now=NOW)
    assert len(full) == len(empty)


def test_skm_section_counts_the_questionnaires_of_the_period(month):
    """Two questionnaires in November (one leaves u9 empty) and one in October: NRR u1 = (4+3)/2, u9 = 4/1,
    the rest 4; n = 2; the October one counts only in October."""
    from pstdesk.ratings.models import SkmResponse
    from pstdesk.ratings.skm import krejcie_morgan
    from pstdesk.reports.tests.month import wita

    full = {f"u{i}": 4 for i in range(1, 10)}
    SkmResponse.objects.create(office_id="5102", answers={**full, "u1": 3}, submitted_at=wita(11, 10, 10))
    SkmResponse.objects.create(
        office_id="5102", answers={k: v for k, v in full.items() if k != "u9"}, submitted_at=wita(11, 12, 10)
    )
    SkmResponse.objects.create(office_id="5102", answers={**full, "u2": 1}, submitted_at=wita(10, 12, 10))
    skm = report()["skm"]
    assert skm["n"] == 2
    assert skm["answered"]["u1"] == 2 and skm["answered"]["u9"] == 1
    assert skm["nrr"]["u1"] == 3.5 and skm["nrr"]["u2"] == 4.0 and skm["nrr"]["u9"] == 4.0
    # (3.5 + 8 × 4) / 9 × 25 = 35.5 / 9 × 25 = 98.611… → 98.61, mutu A
    assert skm["ikm"] == 98.61 and skm["mutu"] == "A"
    assert skm["minimum_sample"] == krejcie_morgan(skm["population"])
    assert report(period="2026-10")["skm"]["n"] == 1
