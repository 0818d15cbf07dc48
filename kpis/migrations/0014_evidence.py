"""Evidence per record (kpis.Evidence), and the roles' permissions on it.

Adviseur and Coördinator add, see and delete evidence; the Provincie sees it. Nobody
changes it (an item is replaced by adding the new one and deleting the old one), so no
role gets the change permission. Additive and idempotent, like 0004_roles.
"""

import importlib

import django.core.validators
import django.db.models.deletion
import kpis.models.evidence
from django.conf import settings
from django.db import migrations, models


roles = importlib.import_module("kpis.migrations.0004_roles")

EVIDENCE = ["kpis.evidence"]
GRANTS = {
    roles.ADVISER: roles.perms(EVIDENCE, ["add", "view", "delete"]),
    roles.COORDINATOR: roles.perms(EVIDENCE, ["add", "view", "delete"]),
    roles.PROVINCE: roles.perms(EVIDENCE, ["view"]),
}


def allow_evidence(apps, schema_editor):
    roles.make_permissions(apps)
    Group = apps.get_model("auth", "Group")
    for name, wanted in GRANTS.items():
        group, _created = Group.objects.get_or_create(name=name)
        group.permissions.add(
            *(roles.permission(apps, label, action) for label, action in wanted)
        )


class Migration(migrations.Migration):

    dependencies = [
        ('contenttypes', '0002_remove_content_type_name'),
        ('kpis', '0013_network'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='Evidence',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('object_id', models.PositiveBigIntegerField(help_text='Het id van het record.', verbose_name='registratie-id')),
                ('file', kpis.models.evidence.EvidenceFileField(blank=True, help_text='Het opgeslagen bestand (alleen via de beveiligde downloadpagina).', max_length=255, storage=kpis.models.evidence.evidence_storage, upload_to=kpis.models.evidence.evidence_upload_to, verbose_name='bestand')),
                ('file_name', models.CharField(blank=True, help_text='De naam van het bestand zoals het werd toegevoegd.', max_length=255, verbose_name='bestandsnaam')),
                ('media_type', models.CharField(blank=True, help_text='Het type, bepaald uit de inhoud van het bestand.', max_length=100, verbose_name='bestandstype')),
                ('size', models.PositiveBigIntegerField(blank=True, help_text='Grootte van het bestand.', null=True, verbose_name='grootte (bytes)')),
                ('checksum', models.CharField(blank=True, help_text='Vingerafdruk van de inhoud, om een hersteld bestand te controleren.', max_length=64, verbose_name='controlegetal (SHA-256)')),
                ('url', models.URLField(blank=True, help_text='Een webadres (http of https), bijvoorbeeld het nieuwsbericht.', max_length=2000, validators=[django.core.validators.URLValidator(code='not_a_web_address', message='Voer een webadres in dat begint met http:// of https://.', schemes=('http', 'https'))], verbose_name='link')),
                ('description', models.CharField(blank=True, help_text="Wat het is, bijvoorbeeld 'Toekenningsbrief provincie'.", max_length=300, verbose_name='omschrijving')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='toegevoegd op')),
                ('added_by', models.ForeignKey(blank=True, help_text='Wie het bewijsstuk toevoegde.', null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='toegevoegd door')),
                ('content_type', models.ForeignKey(help_text='Het soort record waar dit bewijsstuk bij hoort.', on_delete=django.db.models.deletion.PROTECT, related_name='+', to='contenttypes.contenttype', verbose_name='soort registratie')),
            ],
            options={
                'verbose_name': 'bewijsstuk',
                'verbose_name_plural': 'bewijsstukken',
                'ordering': ['created_at', 'pk'],
                'indexes': [models.Index(fields=['content_type', 'object_id'], name='evidence_record_idx')],
                'constraints': [models.CheckConstraint(condition=models.Q(models.Q(('file', ''), models.Q(('url', ''), _negated=True)), models.Q(models.Q(('file', ''), _negated=True), ('url', '')), _connector='OR'), name='evidence_file_or_link', violation_error_message='Een bewijsstuk is een bestand óf een link.'), models.CheckConstraint(condition=models.Q(('url', ''), ('url__istartswith', 'http://'), ('url__istartswith', 'https://'), _connector='OR'), name='evidence_link_is_web_address', violation_error_message='Een link begint met http:// of https://.'), models.CheckConstraint(condition=models.Q(('file', ''), models.Q(('size__isnull', False), models.Q(('media_type', ''), _negated=True), models.Q(('checksum', ''), _negated=True)), _connector='OR'), name='evidence_file_has_details', violation_error_message='Van een bestand zijn type, grootte en controlegetal bekend.')],
            },
        ),
        # Reversing keeps the groups' other permissions; the table's go with it.
        migrations.RunPython(allow_evidence, migrations.RunPython.noop),
    ]
