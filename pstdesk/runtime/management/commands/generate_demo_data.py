"""`pstdesk generate_demo_data --consultations N`: realistic generated data for demos and benchmarks.

Visitors with guestbook entries, consultations over the last year on every channel an office offers, their
messages, topics and ratings. Rows are written with bulk inserts in batches, so a million consultations take
minutes, not hours. Generated rows are marked (visitor e-mails end in `@demo.invalid`).
"""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from tqdm import tqdm

from pstdesk.consultations.models import Consultation, DeliveryStatus, Direction, Message, Status, Topic
from pstdesk.guestbook.models import GuestbookEntry, Visitor
from pstdesk.offices.models import Office
from pstdesk.ratings.models import Rating

FIRST_NAMES = ["Ayu", "Made", "Komang", "Ketut", "Putu", "Wayan", "Nyoman", "Gede", "Dewi", "Agus", "Sari", "Budi"]
LAST_NAMES = ["Pratama", "Wijaya", "Santika", "Lestari", "Saputra", "Permana", "Utami", "Suryani", "Adnyana"]
REQUESTS = [
    "Mohon data jumlah penduduk per kecamatan tahun 2025.",
    "Bagaimana metadata indikator kemiskinan kabupaten?",
    "Kode KBLI untuk usaha kopi bubuk rumahan apa ya?",
    "Saya butuh data produksi padi lima tahun terakhir untuk skripsi.",
    "Apakah ada data IPM per kecamatan?",
]
ANSWERS = [
    "Data tersebut tersedia pada publikasi Kabupaten Dalam Angka, tabel 3.1.",
    "Metadata indikator dapat dilihat di sirusa.bps.go.id; berikut ringkasannya.",
    "Usaha tersebut masuk KBLI 10761 (industri pengolahan kopi).",
]
CLOSED_STATUSES = [Status.CLOSED] * 8 + [Status.ANSWERED, Status.OPEN]


class Command(BaseCommand):
    help = "Generate realistic consultations, visitors, messages and ratings over the last year."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--consultations", type=int, default=1000)
        parser.add_argument("--offices", default="5101,5102", help="comma-separated office codes")
        parser.add_argument("--messages", type=int, default=4, help="messages per consultation (average)")
        parser.add_argument("--batch", type=int, default=5000)
        parser.add_argument("--seed", type=int, default=5102)
        parser.add_argument("--open", action="store_true", help="make every consultation open (inbox benchmarks)")

    def handle(self, *args: Any, **options: Any) -> None:
        total: int = options["consultations"]
        if total < 1:
            raise CommandError("--consultations must be at least 1")
        offices = list(Office.objects.filter(code__in=options["offices"].split(",")))
        if not offices:
            raise CommandError(f"no such offices: {options['offices']}")
        standards = {office.code: office.standard for office in offices}
        rng = random.Random(options["seed"])
        now = timezone.now()
        batch: int = options["batch"]
        progress = tqdm(total=total, unit="consultation", disable=options["verbosity"] == 0)
        made = 0
        while made < total:
            size = min(batch, total - made)
            with transaction.atomic():
                self._make_batch(size, offices, standards, rng, now, options)
            made += size
            progress.update(size)
        progress.close()
        if connection.vendor == "postgresql":
            # Fresh planner statistics after a bulk load (autovacuum would get there later).
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        self.stdout.write(f"{made} consultations generated")

    def _make_batch(
        self,
        size: int,
        offices: list[Office],
        standards: dict[str, Any],
        rng: random.Random,
        now: Any,
        options: dict[str, Any],
    ) -> None:
        tag = rng.getrandbits(48)
        visitors = Visitor.objects.bulk_create(
            [
                Visitor(
                    name=f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
                    email=f"v{tag:x}.{i}@demo.invalid",
                    email_verified_at=now,
                    whatsapp=f"+62812{rng.randrange(10**7, 10**8)}",
                )
                for i in range(size)
            ]
        )
        consultations = []
        entries = []
        message_counts = []
        for visitor in visitors:
            office = rng.choice(offices)
            channel = rng.choice(standards[office.code].channels if standards[office.code] else ["whatsapp"])
            created = now - timedelta(minutes=rng.randrange(0, 365 * 24 * 60))
            status = Status.OPEN if options["open"] else rng.choice(CLOSED_STATUSES)
            count = max(2, int(rng.gauss(options["messages"], 1)))
            message_counts.append(count)
            entries.append(
                GuestbookEntry(
                    visitor=visitor,
                    office=office,
                    channel=channel,
                    sex=rng.choice("12"),
                    age_group=str(rng.randint(2, 6)),
                    education=str(rng.randint(1, 5)),
                    occupation=str(rng.randint(1, 6)),
                    institution_category=str(rng.randint(1, 8)),
                    institution_name="Universitas Udayana",
                    purpose=str(rng.randint(1, 4)),
                    code_list_versions={},
                )
            )
            consultations.append(
                Consultation(
                    office=office,
                    visitor=visitor,
                    channel=channel,
                    status=status,
                    topic=rng.choice(Topic.values),
                    title=rng.choice(REQUESTS)[:80],
                    request_clear_at=created,
                    requirements_complete_at=created,
                    sla_started_at=created,
                    due_at=created + timedelta(days=3),
                    first_response_at=created + timedelta(minutes=rng.randint(2, 240)),
                    answered_at=None if status == Status.OPEN else created + timedelta(hours=rng.randint(1, 50)),
                    closed_at=created + timedelta(days=1) if status == Status.CLOSED else None,
                    rated_at=created + timedelta(days=1) if status == Status.CLOSED else None,
                    last_inbound_at=created,
                    last_seq=count,
                )
            )
        GuestbookEntry.objects.bulk_create(entries)
        consultations = Consultation.objects.bulk_create(consultations)
        # auto_now_add overrides the creation times given: spread them over the year with one UPDATE per batch.
        Consultation.objects.filter(pk__in=[c.pk for c in consultations]).update(created_at=F("request_clear_at"))
        messages = []
        ratings = []
        for consultation, count in zip(consultations, message_counts, strict=True):
            for seq in range(1, count + 1):
                inbound = seq % 2 == 1
                messages.append(
                    Message(
                        consultation=consultation,
                        seq=seq,
                        direction=Direction.IN if inbound else Direction.OUT,
                        channel=consultation.channel,
                        body=rng.choice(REQUESTS if inbound else ANSWERS),
                        delivery_status="" if inbound else DeliveryStatus.READ,
                    )
                )
            if consultation.status == Status.CLOSED:
                ratings.append(
                    Rating(
                        consultation=consultation,
                        score=rng.choices([1, 2, 3, 4, 5], weights=[1, 2, 6, 30, 61])[0],
                        feedback="",
                        channel=consultation.channel,
                    )
                )
        Message.objects.bulk_create(messages, batch_size=5000)
        Rating.objects.bulk_create(ratings, batch_size=5000)
