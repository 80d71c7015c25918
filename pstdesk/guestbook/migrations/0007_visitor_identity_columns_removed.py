"""Channel identities leave `Visitor` (3/3): the old columns, now copied to `VisitorIdentity` (0006)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("guestbook", "0006_visitor_identities_data"),
    ]

    operations = [
        migrations.RemoveField(model_name="visitor", name="email_channel_address"),
        migrations.RemoveField(model_name="visitor", name="wa_id"),
        migrations.RemoveField(model_name="visitor", name="wa_user_id"),
        migrations.RemoveField(model_name="visitor", name="whatsapp_verified_at"),
    ]
