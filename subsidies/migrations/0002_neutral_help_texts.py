# Help texts that named BNF now name no network (kpis.models.network holds the name).

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('subsidies', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name='subsidy',
            name='adviser',
            field=models.ForeignKey(blank=True, help_text='De adviseur van het netwerk die dit heeft uitgevoerd of geregistreerd.', null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='adviseur'),
        ),
        migrations.AlterField(
            model_name='subsidy',
            name='role',
            field=models.CharField(choices=[('lead', 'hoofdaanvrager'), ('co_applicant', 'medeaanvrager')], default='lead', help_text='Het netwerk als hoofd- of medeaanvrager.', max_length=15, verbose_name='rol van het netwerk'),
        ),
    ]
