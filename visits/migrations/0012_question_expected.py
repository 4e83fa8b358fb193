from django.db import migrations, models

# The default checklist's questions that apply to few detainees (checklist_defaults), written
# out here so that the migration does not change when the defaults do.
NOT_APPLICABLE_KEYS = [
    "interpreter_provided",
    "consulate_contacted",
    "appropriate_adult",
    "girl_cared_for_by_woman",
]


def mark_not_applicable(apps, schema_editor):
    # Published versions are otherwise never changed; `expected` is not part of any report
    # (only what "all as expected" fills in on a new one), so existing versions take it too.
    Question = apps.get_model("visits", "Question")
    Question.objects.filter(key__in=NOT_APPLICABLE_KEYS, answer_type="yes_no").update(
        expected="na"
    )


class Migration(migrations.Migration):
    dependencies = [
        ("visits", "0011_photo_client_uuid"),
    ]

    operations = [
        migrations.AddField(
            model_name="question",
            name="expected",
            field=models.CharField(
                blank=True,
                choices=[("yes", "Yes"), ("na", "Not applicable")],
                default="yes",
                help_text="Marked by “all as expected” when unanswered; blank: always asked.",
                max_length=10,
            ),
        ),
        migrations.RunPython(mark_not_applicable, migrations.RunPython.noop),
    ]
