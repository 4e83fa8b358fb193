# The working-day response time of every answered referral, kept by the issue services from
# now on and worked out here once for the issues already answered (issue 20: summaries count
# response times in the database instead of walking every issue in Python).

from django.db import migrations, models

from visits.workdays import response_time


def backfill(apps, schema_editor):
    Issue = apps.get_model("visits", "Issue")
    answered = Issue.objects.filter(referred_at__isnull=False, responded_at__isnull=False)
    batch = []
    for issue in answered.only("pk", "referred_at", "responded_at").iterator(chunk_size=2000):
        issue.responded_on, issue.response_working_days = response_time(
            issue.referred_at, issue.responded_at
        )
        batch.append(issue)
        if len(batch) == 2000:
            Issue.objects.bulk_update(batch, ["responded_on", "response_working_days"])
            batch = []
    Issue.objects.bulk_update(batch, ["responded_on", "response_working_days"])


class Migration(migrations.Migration):
    dependencies = [
        ("visits", "0022_vetting_and_leaving"),
    ]

    operations = [
        migrations.AddField(
            model_name="issue",
            name="responded_on",
            field=models.DateField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="issue",
            name="response_working_days",
            field=models.SmallIntegerField(blank=True, editable=False, null=True),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
