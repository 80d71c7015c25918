"""The BPS Web API client against the local simulator: envelope, paging, availability, errors, timeouts, cache,
and the key kept out of every log line."""

from __future__ import annotations

import logging
import socket

import pytest

from pstdesk.bpsapi.client import BpsApiError, BpsClient, redact_url
from pstdesk.bpsapi.tests.conftest import KEY
from pstdesk.lib.logs import RedactQueryFilter


def test_static_tables_by_keyword(bps_sim):
    page = BpsClient().static_tables(domain="5102", keyword="padi")
    assert page.available
    assert [item["title"] for item in page.items] == [
        "Luas Panen, Produksi, dan Produktivitas Padi Menurut Kecamatan, Tabanan, 2025"
    ]
    assert page.items[0]["table_id"] == 510202
    assert (page.page, page.pages, page.total) == (1, 1, 1)
    assert bps_sim.requests == ["/v1/api/list/model/statictable/lang/ind/domain/5102/keyword/padi"]


def test_paging_follows_the_envelope(bps_sim):
    bps_sim.per_page = 3
    first = BpsClient().publications(domain="5100")
    second = BpsClient().publications(domain="5100", page=2)
    assert (first.page, first.pages, first.total, len(first.items)) == (1, 2, 6, 3)
    assert (second.page, len(second.items)) == (2, 3)
    assert {i["pub_id"] for i in first.items}.isdisjoint({i["pub_id"] for i in second.items})


def test_nothing_found_is_list_not_available(bps_sim):
    page = BpsClient().static_tables(domain="5102", keyword="tidak ada tabel seperti ini")
    assert not page.available and page.items == []


def test_forced_list_not_available(bps_sim):
    bps_sim.set_mode("list-not-available")
    assert not BpsClient().press_releases(domain="0000").available
    assert BpsClient().dynamic_data(domain="5102", var=1) is None


def test_view_one_table_and_a_missing_one(bps_sim):
    table = BpsClient().static_table(domain="5102", table_id=510202)
    assert table is not None and table["title"].startswith("Luas Panen")
    assert table["table"].startswith("&lt;table")  # the API escapes the table's HTML
    assert BpsClient().static_table(domain="5102", table_id=999) is None


def test_subjects_domains_and_dynamic_data(bps_sim):
    assert "Tanaman Pangan" in {s["title"] for s in BpsClient().subjects(domain="5102").items}
    assert [d["domain_id"] for d in BpsClient().domains(type="prov")] == ["5100"]
    assert {d["domain_id"] for d in BpsClient().domains(type="kabbyprov", prov="5100")} == {
        "5101",
        "5102",
        "5103",
        "5171",
    }
    data = BpsClient().dynamic_data(domain="5102", var=1, th=125)
    assert data is not None
    assert [t["label"] for t in data["tahun"]] == ["2025"]
    assert set(data["datacontent"]) == {"5102111250", "5102121250"}


@pytest.mark.parametrize(
    ("mode", "kind", "message"), [("error", "error", "Internal Server Error"), ("garbage", "error", "")]
)
def test_server_errors(bps_sim, mode, kind, message):
    bps_sim.set_mode(mode)
    with pytest.raises(BpsApiError) as caught:
        BpsClient().static_tables(domain="5102", keyword="padi")
    assert (caught.value.kind, caught.value.message) == (kind, message)


def test_wrong_key_and_unknown_domain(bps_sim):
    with pytest.raises(BpsApiError) as caught:
        BpsClient(key="wrong").static_tables(domain="5102")
    assert caught.value.message == "Invalid API Key"
    with pytest.raises(BpsApiError) as caught:
        BpsClient().static_tables(domain="9999")
    assert caught.value.message == "Domain not found"


def test_slow_answer_times_out(bps_sim):
    bps_sim.set_mode("slow", delay=1.0)
    with pytest.raises(BpsApiError) as caught:
        BpsClient(timeout_ms=200).static_tables(domain="5102", keyword="padi")
    assert caught.value.kind == "timeout"


def test_unreachable_and_not_configured(settings):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(BpsApiError) as caught:
        BpsClient(base=f"http://127.0.0.1:{port}/v1/api", key="k").subjects(domain="5102")
    assert caught.value.kind == "unreachable"
    settings.BPS_API_KEY = ""
    with pytest.raises(BpsApiError) as caught:
        BpsClient().subjects(domain="5102")
    assert caught.value.kind == "not_configured"


def test_answers_are_cached_errors_are_not(bps_sim):
    BpsClient().static_tables(domain="5102", keyword="padi")
    BpsClient().static_tables(domain="5102", keyword="padi")
    assert len(bps_sim.requests) == 1
    bps_sim.set_mode("error")
    with pytest.raises(BpsApiError):
        BpsClient().static_tables(domain="5102", keyword="jagung")
    with pytest.raises(BpsApiError):
        BpsClient().static_tables(domain="5102", keyword="jagung")
    assert len(bps_sim.requests) == 3


def test_key_never_reaches_a_log_line(bps_sim, caplog):
    caplog.set_level(logging.DEBUG)
    BpsClient().static_tables(domain="5102", keyword="padi")
    bps_sim.set_mode("error")
    with pytest.raises(BpsApiError):
        BpsClient().publications(domain="5102")
    lines = []
    for record in caplog.records:
        RedactQueryFilter().filter(record)  # the filter every handler of the service carries
        lines.append(record.getMessage())
    assert any("statictable" in line for line in lines)  # the requests were logged …
    assert not [line for line in lines if KEY in line]  # … without the key


def test_redact_url_covers_both_key_styles():
    assert KEY not in redact_url(f"https://webapi.bps.go.id/v1/api/domain/type/all/key/{KEY}/")
    assert KEY not in redact_url(f"https://webapi.bps.go.id/v1/api/list/model/subject/?key={KEY}&lang=ind")
