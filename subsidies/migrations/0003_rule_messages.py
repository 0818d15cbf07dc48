"""One message per rule (see kpis 0016_rule_messages); no change in the database."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("subsidies", "0002_neutral_help_texts"),
    ]

    operations = [
        migrations.AlterConstraint(
            model_name="subsidy",
            name="subsidy_awarded_has_date",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("status", "awarded"), _negated=True),
                    ("awarded_on__isnull", False),
                    _connector="OR",
                ),
                name="subsidy_awarded_has_date",
                violation_error_message="Vul de datum van toekenning in.",
            ),
        ),
    ]
