# Help texts that named BNF now name no network (kpis.models.network holds the name).

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('projects', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name='guidedtrajectory',
            name='adviser',
            field=models.ForeignKey(blank=True, help_text='De adviseur van het netwerk die dit heeft uitgevoerd of geregistreerd.', null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='adviseur'),
        ),
        migrations.AlterField(
            model_name='project',
            name='adviser',
            field=models.ForeignKey(blank=True, help_text='De adviseur van het netwerk die dit heeft uitgevoerd of geregistreerd.', null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='adviseur'),
        ),
        migrations.AlterField(
            model_name='project',
            name='kind',
            field=models.CharField(choices=[('provincial', 'provinciaal project'), ('partner', 'partnerproject')], default='provincial', help_text='Provinciaal project (door het netwerk ontwikkeld en geïmplementeerd) of partnerproject.', max_length=12, verbose_name='soort'),
        ),
        migrations.AlterField(
            model_name='projectapplication',
            name='adviser',
            field=models.ForeignKey(blank=True, help_text='De adviseur van het netwerk die dit heeft uitgevoerd of geregistreerd.', null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='adviseur'),
        ),
    ]
