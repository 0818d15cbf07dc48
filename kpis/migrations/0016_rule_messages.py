"""One message per rule: the constraints that had a second, different message in
``clean()`` take the one the forms showed. No change in the database (AlterConstraint
only changes what validation says)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("kpis", "0015_import_batch_any_type"),
    ]

    operations = [
        migrations.AlterConstraint(
            model_name="informationpoint",
            name="ido_closed_not_before_opened",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("closed_on__isnull", True),
                    ("closed_on__gte", models.F("opened_on")),
                    _connector="OR",
                ),
                name="ido_closed_not_before_opened",
                violation_error_message="De sluitingsdatum mag niet voor de openingsdatum liggen.",
            ),
        ),
        migrations.AlterConstraint(
            model_name="training",
            name="training_score_needs_respondents",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("evaluation_score__isnull", True),
                    models.Q(("respondents__gte", 1), ("respondents__isnull", False)),
                    _connector="OR",
                ),
                name="training_score_needs_respondents",
                violation_error_message="Vul in hoeveel deelnemers de evaluatie invulden.",
            ),
        ),
    ]
