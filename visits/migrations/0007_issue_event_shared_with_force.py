from django.db import migrations, models

# Steps addressed to the force, or written by it, were always meant for it to read.
SHARED_KINDS = ["raised", "referred", "responded", "accepted", "escalated"]


def share_the_force_business(apps, schema_editor):
    IssueEvent = apps.get_model("visits", "IssueEvent")
    Membership = apps.get_model("visits", "Membership")
    IssueEvent.objects.filter(kind__in=SHARED_KINDS).update(shared_with_force=True)
    force = Membership.objects.filter(role="force")
    for scheme_id, user_id in force.values_list("scheme_id", "user_id"):
        IssueEvent.objects.filter(issue__scheme_id=scheme_id, actor_id=user_id).update(
            shared_with_force=True
        )


class Migration(migrations.Migration):
    dependencies = [
        ("visits", "0006_visit_copies"),
    ]

    operations = [
        migrations.AddField(
            model_name="issueevent",
            name="shared_with_force",
            field=models.BooleanField(default=False),
        ),
        migrations.RunPython(share_the_force_business, migrations.RunPython.noop),
    ]
