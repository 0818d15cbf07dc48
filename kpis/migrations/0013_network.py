"""The network's identity as data (kpis.models.network): one row, made here.

Its home province is the one this installation used until now: the environment
variable BNF_HOME_PROVINCE, read this once (the setting defaulted to "flevoland"), so no
figure changes on upgrading. The name, colours, logo and titles start neutral; a
coordinator fills them in (admin → Netwerk), or the demo fixture does.

Coördinatoren change the identity; advisers and the provincie may see it. Additive and
idempotent, like 0004_roles.
"""

import importlib
import os

import django.core.validators
import django.db.models.deletion
import kpis.models.network
from django.conf import settings
from django.db import migrations, models

roles = importlib.import_module("kpis.migrations.0004_roles")

GRANTS = {
    roles.COORDINATOR: roles.perms(["kpis.network"], ["view", "change"]),
    roles.ADVISER: roles.perms(["kpis.network"], ["view"]),
    roles.PROVINCE: roles.perms(["kpis.network"], ["view"]),
}


def create_identity(apps, schema_editor):
    Network = apps.get_model("kpis", "Network")
    known = [value for value, _label in Network._meta.get_field("home_province").choices]
    province = os.environ.get("BNF_HOME_PROVINCE", "flevoland").strip().lower()
    if province not in known:
        raise ValueError(
            f"BNF_HOME_PROVINCE={province!r} is geen provincie; kies uit {', '.join(known)}."
        )
    Network.objects.get_or_create(pk=1, defaults={"home_province": province})


def allow_network(apps, schema_editor):
    roles.grant(apps, GRANTS)


class Migration(migrations.Migration):

    dependencies = [
        ('kpis', '0012_role_permissions'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='Network',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(default='Bibliotheeknetwerk', help_text="De volledige naam, bijvoorbeeld 'Bibliotheeknetwerk Zeeland': in de kop van elke pagina, op het jaarverslag en in de paginatitels.", max_length=200, verbose_name='naam')),
                ('short_name', models.CharField(blank=True, help_text="Afkorting, bijvoorbeeld 'BNZ': het merkteken in de kop, de titel van de admin en de bestandsnamen van exports. Leeg: de volledige naam.", max_length=20, verbose_name='korte naam')),
                ('tagline', models.CharField(blank=True, help_text="Een regel onder de naam in de kop van de pagina's; leeg laten mag.", max_length=200, verbose_name='ondertitel')),
                ('home_province', models.CharField(choices=[('groningen', 'Groningen'), ('friesland', 'Friesland'), ('drenthe', 'Drenthe'), ('overijssel', 'Overijssel'), ('flevoland', 'Flevoland'), ('gelderland', 'Gelderland'), ('utrecht', 'Utrecht'), ('noord-holland', 'Noord-Holland'), ('zuid-holland', 'Zuid-Holland'), ('zeeland', 'Zeeland'), ('noord-brabant', 'Noord-Brabant'), ('limburg', 'Limburg')], help_text="De provincie van het netwerk. Transport tussen twee bibliotheken in deze provincie telt als 'binnen de provincie', met één kant erbuiten als interprovinciaal.", max_length=20, verbose_name='thuisprovincie')),
                ('logo', models.FileField(blank=True, help_text="SVG, PNG of JPEG, hoogstens 500 kB; op het jaarverslag (pagina en PDF) en in de kop van de pagina's. Leeg: het standaardlogo.", upload_to='network/', validators=[kpis.models.network.validate_logo], verbose_name='logo')),
                ('primary_colour', models.CharField(default='#0f4c81', help_text='De kleur van de kop, knoppen en koppen, als #rrggbb. Witte tekst erop en de kleur als tekst op wit moeten goed leesbaar zijn: minstens 4,5:1 contrast.', max_length=7, validators=[django.core.validators.RegexValidator('^#[0-9a-fA-F]{6}$', 'Geef een kleur als #rrggbb, bijvoorbeeld #0f4c81.')], verbose_name='hoofdkleur')),
                ('accent_colour', models.CharField(default='#b3441f', help_text='De tweede kleur (merkteken, kleine koppen, lijnen), als #rrggbb; ook minstens 4,5:1 contrast met wit.', max_length=7, validators=[django.core.validators.RegexValidator('^#[0-9a-fA-F]{6}$', 'Geef een kleur als #rrggbb, bijvoorbeeld #0f4c81.')], verbose_name='accentkleur')),
                ('intro', models.TextField(blank=True, help_text="Eén of twee zinnen onder de titel van het dashboard. Leeg: 'Wat [naam] dit jaar deed voor [aangesloten bibliotheken] en de provincie …'.", verbose_name='introductie')),
                ('section_titles', models.JSONField(blank=True, default=dict, help_text='Eigen titels voor de onderdelen van dashboard en verslag, per onderdeel; leeg: de standaardtitel.', verbose_name='titels van de onderdelen')),
                ('members', models.ManyToManyField(blank=True, help_text='De bibliotheken die het netwerk ondersteunt; hun namen staan in de introductie van het dashboard als die leeg is.', limit_choices_to={'kind': 'library'}, related_name='networks', to='kpis.organisation', verbose_name='aangesloten bibliotheken')),
            ],
            options={
                'verbose_name': 'netwerk',
                'verbose_name_plural': 'netwerk',
                'ordering': ['pk'],
                'constraints': [models.CheckConstraint(condition=models.Q(('pk', 1)), name='network_single_row', violation_error_message='Er is één netwerk per installatie; wijzig het bestaande.')],
            },
        ),
        # Help texts that named BNF now name no network.
        migrations.AlterField(
            model_name='channelpost',
            name='adviser',
            field=models.ForeignKey(blank=True, help_text='De adviseur van het netwerk die dit heeft uitgevoerd of geregistreerd.', null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='adviseur'),
        ),
        migrations.AlterField(
            model_name='informationpoint',
            name='adviser',
            field=models.ForeignKey(blank=True, help_text='De adviseur van het netwerk die dit heeft uitgevoerd of geregistreerd.', null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='adviseur'),
        ),
        migrations.AlterField(
            model_name='knowledgecircle',
            name='adviser',
            field=models.ForeignKey(blank=True, help_text='De adviseur van het netwerk die dit heeft uitgevoerd of geregistreerd.', null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='adviseur'),
        ),
        migrations.AlterField(
            model_name='knowledgecirclemeeting',
            name='adviser',
            field=models.ForeignKey(blank=True, help_text='De adviseur van het netwerk die dit heeft uitgevoerd of geregistreerd.', null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='adviseur'),
        ),
        migrations.AlterField(
            model_name='organisation',
            name='code',
            field=models.SlugField(help_text="Korte, vaste code (bijvoorbeeld 'bieb-noord'), gebruikt in imports en exports.", unique=True, verbose_name='code'),
        ),
        migrations.AlterField(
            model_name='organisation',
            name='joined_network_on',
            field=models.DateField(blank=True, help_text='Datum waarop de organisatie zich bij het netwerk aansloot.', null=True, verbose_name='lid van het netwerk sinds'),
        ),
        migrations.AlterField(
            model_name='publication',
            name='adviser',
            field=models.ForeignKey(blank=True, help_text='De adviseur van het netwerk die dit heeft uitgevoerd of geregistreerd.', null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='adviseur'),
        ),
        migrations.AlterField(
            model_name='reporttext',
            name='intro',
            field=models.TextField(blank=True, help_text="Wie het netwerk is en wat het jaar bracht; op de eerste pagina. Een lege regel begint een nieuwe alinea, een regel die begint met '- ' is een opsommingsteken. Geen HTML: alles wordt getoond zoals het er staat.", verbose_name='inleiding'),
        ),
        migrations.AlterField(
            model_name='supportactivity',
            name='adviser',
            field=models.ForeignKey(blank=True, help_text='De adviseur van het netwerk die dit heeft uitgevoerd of geregistreerd.', null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='adviseur'),
        ),
        migrations.AlterField(
            model_name='testimonial',
            name='adviser',
            field=models.ForeignKey(blank=True, help_text='De adviseur van het netwerk die dit heeft uitgevoerd of geregistreerd.', null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='adviseur'),
        ),
        migrations.AlterField(
            model_name='training',
            name='adviser',
            field=models.ForeignKey(blank=True, help_text='De adviseur van het netwerk die dit heeft uitgevoerd of geregistreerd.', null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='adviseur'),
        ),
        migrations.RunPython(create_identity, migrations.RunPython.noop),
        migrations.RunPython(allow_network, migrations.RunPython.noop),
    ]
