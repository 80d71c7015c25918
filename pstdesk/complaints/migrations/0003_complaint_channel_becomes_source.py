from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("complaints", "0002_complaint_follow_up")]

    operations = [migrations.RenameField("complaint", "channel", "source")]
