# Past webinar participants: up to when each webinar's instances were fetched (issue 10).

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("meetings", "0003_list_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="webinar",
            name="participants_synced_at",
            field=models.DateTimeField(
                blank=True, editable=False, null=True, verbose_name="participants stored up to"
            ),
        ),
    ]
