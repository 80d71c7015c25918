"""Channel identities leave `Visitor` (1/3): the `VisitorIdentity` table. The data moves in 0006, the old columns
go in 0007: separate migrations, so PostgreSQL never alters a table with pending constraint checks."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("guestbook", "0004_verbose_names"),
    ]

    operations = [
        migrations.CreateModel(
            name="VisitorIdentity",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("kind", models.CharField(max_length=20, verbose_name="jenis identitas")),
                ("key", models.CharField(max_length=254, verbose_name="kunci")),
                ("verified_at", models.DateTimeField(blank=True, null=True, verbose_name="terverifikasi pada")),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="dibuat pada")),
                (
                    "visitor",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="identities",
                        to="guestbook.visitor",
                        verbose_name="pengguna layanan",
                    ),
                ),
            ],
            options={
                "verbose_name": "identitas kanal",
                "verbose_name_plural": "identitas kanal",
                "ordering": ["visitor", "pk"],
                "constraints": [
                    models.UniqueConstraint(fields=("kind", "key"), name="visitoridentity_kind_key_unique")
                ],
            },
        ),
    ]
