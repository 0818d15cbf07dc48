"""The three roles, as auth groups (made by migration ``kpis/migrations/0004_roles.py``).

A person gets a role by being in its group; to use the admin at all the account also
needs staff status ("Medewerker"). A superuser may do everything and needs no group.

- **Adviseur**: adds, changes and deletes registrations (every report-dated model:
  trainings, subsidies, projects, transport, ...); sees the reference data
  (organisations, themes, channels, support kinds, funders, funds, targets, users)
  that registration forms pick from; sees year closings and import batches.
- **Coördinator**: what an adviser may, plus managing the reference data, targets
  and user accounts, seeing the groups and the audit trail, closing and reopening
  report years (``kpis.close_year``), and lifting a login lock-out early by deleting
  its access attempt (django-axes; migration 0005).
- **Provincie**: sees all of the above, changes nothing; exports.

The permissions are listed in the migration itself, so that it keeps doing the same
on a new database whatever later code says; ``tests/test_roles.py`` checks that every
registration model is covered. A new registration model needs a migration that adds
its permissions to the groups (see that migration for how).
"""

ADVISER = "Adviseur"
COORDINATOR = "Coördinator"
PROVINCE = "Provincie"

ROLES = (ADVISER, COORDINATOR, PROVINCE)

CLOSE_YEAR_PERMISSION = "kpis.close_year"
