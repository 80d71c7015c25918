"""Parsing, quote stripping and loop signals, on real-world shaped .eml fixtures."""

from __future__ import annotations

import pytest

from pstdesk.channels.email.introduction import introduces_sender
from pstdesk.channels.email.parsing import UnreadableEmail, parse_email, reply_subject
from pstdesk.channels.email.quotes import html_to_text, strip_quoted
from pstdesk.channels.email.tests.conftest import fixture


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("reply_on_wrote.eml", "Thanks, could you also send the 2024 figures?"),
        ("reply_pada_menulis.eml", "Baik, terima kasih banyak atas datanya."),
        ("reply_outlook.eml", "Mohon dikirimkan juga data IPM tahun 2023.\n\nSalam,\nWayan"),
        ("reply_outlook_from.eml", "Data kecamatan juga ada?"),
        ("html_only.eml", "Terima kasih, datanya sudah kami terima.\n\nApakah ada data per desa?"),
    ],
)
def test_quoted_replies_are_stripped(name: str, expected: str) -> None:
    parsed = parse_email(fixture(name))
    assert parsed.text == expected
    assert parsed.quoted_removed
    assert parsed.full_text != parsed.text  # the quote is kept beside it for the officer


def test_a_message_that_is_all_quote_keeps_its_text() -> None:
    text = "> only a quote\n> nothing new"
    assert strip_quoted(text) == (text, False)


def test_html_is_sanitised_and_converted() -> None:
    parsed = parse_email(fixture("html_only.eml"))
    assert "<script" not in parsed.html and "alert" not in parsed.html
    assert "tracker.example" not in parsed.html  # no remote images
    assert "alert" not in parsed.text
    text, dropped = html_to_text("<p>a<br>b</p><blockquote>old</blockquote>", drop_quotes=True)
    assert (text, dropped) == ("a\nb", True)


def test_headers_threading_ids_and_sender() -> None:
    parsed = parse_email(fixture("intro_plain.eml"))
    assert parsed.message_id == "<CAFx1intro.budi@mail.gmail.com>"
    assert parsed.dedupe_key == parsed.message_id
    assert (parsed.from_name, parsed.from_address) == ("Budi Santoso", "budi.santoso@student.unud.ac.id")
    assert parsed.recipients == ("bps5101@bps.go.id",)
    assert parsed.auto_reason == "" and parsed.bounce is None and not parsed.is_null_sender
    assert parsed.date is not None and parsed.date.utcoffset() is not None


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("ooo_autoreply.eml", "Auto-Submitted: auto-replied"),
        ("ooo_outlook.eml", "X-Auto-Response-Suppress present"),
        ("x_autoreply.eml", "X-Autoreply present"),
        ("precedence_bulk.eml", "Precedence: bulk"),
        ("mailing_list.eml", "mailing list (List-Unsubscribe/List-Id)"),
    ],
)
def test_automatic_mail_is_recognised(name: str, reason: str) -> None:
    assert parse_email(fixture(name)).auto_reason == reason


def test_auto_submitted_no_is_a_person() -> None:
    raw = fixture("no_intro.eml").replace(b"Subject: data", b"Auto-Submitted: no\nSubject: data")
    assert parse_email(raw).auto_reason == ""


def test_delivery_status_bounce_is_parsed() -> None:
    parsed = parse_email(fixture("bounce_dsn.eml", RCPT="gone@example.id", ORIGINAL_ID="<pst.1.2.ab@bps.go.id>"))
    assert parsed.is_null_sender
    assert parsed.bounce is not None and parsed.bounce.permanent
    assert parsed.bounce.recipients == ("gone@example.id",)
    assert parsed.bounce.status == "5.1.1"
    assert parsed.bounce.original_message_id == "<pst.1.2.ab@bps.go.id>"
    assert parsed.attachments == []  # the returned headers are not a visitor's file


def test_null_sender_without_report() -> None:
    parsed = parse_email(fixture("mailer_daemon_plain.eml"))
    assert parsed.is_null_sender and parsed.bounce is None


def test_bad_charset_is_replaced_not_fatal() -> None:
    parsed = parse_email(fixture("bad_charset.eml"))
    assert "Minta data" in parsed.text and "\ufffd" in parsed.text
    assert any("x-unknown-charset" in p for p in parsed.problems)
    parsed = parse_email(fixture("invalid_utf8.eml"))
    assert parsed.text.startswith("Data caf")
    parsed = parse_email(fixture("latin1.eml"))
    assert parsed.from_name == "André Wijaya" and "André dari PT Ekspor Bali – minta" in parsed.text


def test_no_message_id_is_deduplicated_by_hash() -> None:
    raw = fixture("no_message_id.eml")
    parsed = parse_email(raw)
    assert parsed.message_id == ""
    assert parsed.dedupe_key.startswith("sha256:") and parsed.dedupe_key == parse_email(raw).dedupe_key
    assert parsed.external_id == parsed.dedupe_key


def test_deep_nesting_is_cut_with_a_reason() -> None:
    parsed = parse_email(fixture("deep_nesting.eml"))
    assert parsed.text.startswith("level 0")
    assert "innermost" not in parsed.text
    assert any("nesting deeper than" in p for p in parsed.problems)


def test_oversized_attachment_is_refused_with_a_reason(settings) -> None:  # type: ignore[no-untyped-def]
    settings.ATTACHMENT_MAX_BYTES = 1024
    parsed = parse_email(fixture("oversized_attachment.eml"))
    assert [a.filename for a in parsed.attachments] == ["surat.pdf"]
    assert parsed.refused == ["attachment 'besar.bin' refused: 4096 bytes is over the limit of 1024 bytes"]


def test_unreadable_input_raises_only_for_nothing() -> None:
    with pytest.raises(UnreadableEmail):
        parse_email(b"  \n")
    parsed = parse_email(fixture("garbage.eml"))  # no headers at all: parsed, with problems, never a crash
    assert parsed.from_address == "" and parsed.problems


def test_reply_subject() -> None:
    assert reply_subject("Permohonan data", 7) == "Re: Permohonan data [PST#7]"
    assert reply_subject("RE: Bls: Fwd: Permohonan data [PST#7]", 7) == "Re: Permohonan data [PST#7]"
    assert reply_subject("", 7) == "Re: Konsultasi statistik [PST#7]"


@pytest.mark.parametrize(
    ("from_name", "address", "text", "expected"),
    [
        ("Budi Santoso", "b@gmail.com", "Perkenalkan, nama saya Budi, mahasiswa Universitas Udayana.", True),
        ("", "kontak1987@gmail.com", "minta data inflasi bulanan 2025 ya", False),
        ("John", "j@gmail.com", "minta data BPS dinas pertanian", False),
        ("Komang", "k@example.id", "Saya Komang dari Dinas Sosial, minta data PKH.", True),
        ("Komang", "k@example.id", "Minta data PKH.\n\nSalam,\nKomang\nDinas Sosial Jembrana", True),
        ("Ayu", "ayu@unud.ac.id", "Minta data kemiskinan 2024.", True),
        ("", "x@gmail.com", "Saya mahasiswa Universitas Udayana, minta data.", False),  # no name anywhere
        ("", "x@gmail.com", "Nama saya Dewi, dari PT Sinar Bali. Minta data ekspor.", True),
    ],
)
def test_introduction_heuristic(from_name: str, address: str, text: str, expected: bool) -> None:
    assert introduces_sender(from_name=from_name, from_address=address, text=text) is expected
