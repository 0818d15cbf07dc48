"""What the preview of an admin import checked, kept for its confirmation.

django-import-export reads and checks a file twice: the preview (a dry run that writes
nothing) and, when the user confirms, all over again before writing. Checked against
the same data, on the same day, by the same person, the second pass can only find
what the first found. So when every row of the preview is a new, valid record, the
preview keeps the values it worked out (``keep``), and the confirmation writes those
(``take``) instead of reading every cell again, if nothing a check depends on has
changed since:

- the file: the same bytes (its SHA-256), imported with the same resource by the
  same user;
- the data: the data version (``kpis.core.data_version``: any committed write to any
  registration table, so also a closed year, a renamed code or a record that now
  makes a row a duplicate), and the users' ids and usernames (the adviser column);
- the day (``timezone.localdate``).

Otherwise, or when the cache no longer has them (another process without a shared
cache, an hour later, a newer preview by the same user), the confirmation checks every
row again, as before. Either way the write runs into the database's own constraints and
triggers (closed years, unique records, foreign keys), so nothing that changed in
between can slip through.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.utils import timezone

from kpis.core import data_version

MAX_ROWS = 100_000
"""Files of more rows are checked twice rather than kept in the cache (memory)."""

TIMEOUT = 60 * 60
"""Seconds a preview's values stay usable: the confirmation usually follows in minutes."""


@dataclass
class Checked:
    """The rows of a file as its preview checked them: per row the values of the
    resource's ``kept_attnames`` and the ids of its many-to-many values by field name."""

    sha256: str  # of the file
    state: tuple
    rows: list[tuple] = field(default_factory=list)
    m2m: list[dict[str, list]] = field(default_factory=list)


def applies(dataset, user) -> bool:
    """Whether a preview of ``dataset`` can be kept: a file (``kpis.core.formats`` gives
    its checksum) that a user imports."""
    has_file = getattr(dataset, "inspection", None) is not None
    return has_file and getattr(user, "pk", None) is not None


def _key(resource, user) -> str:
    """One kept preview per user and kind of record: a new preview replaces the last,
    so abandoned previews never pile up in the cache."""
    label = f"{type(resource).__module__}.{type(resource).__qualname__}"
    return f"bnf:checked-import:{label}:{user.pk}"


def state(resource) -> tuple | None:
    """What the checks of a file depend on, now; ``None`` where it cannot be known. Read
    it before the first row is checked: a write during the checking then changes it."""
    using = resource.write_db
    version = data_version.current(using)
    if version is None:
        return None
    users = get_user_model()
    names = users._default_manager.db_manager(using).order_by("pk")
    names = names.values_list("pk", users.USERNAME_FIELD)
    digest = hashlib.sha256(repr(list(names)).encode()).hexdigest()
    return (version, digest, timezone.localdate().isoformat(), tuple(resource.kept_attnames))


def keep(resource, dataset, user, before: tuple | None, rows: list, m2m: list) -> bool:
    """Keep what the preview of ``dataset`` found (every row new and valid), checked
    under ``before`` (``state()`` when the preview began)."""
    if not applies(dataset, user) or before is None or not rows or len(rows) > MAX_ROWS:
        return False
    checked = Checked(dataset.inspection.sha256, before, rows, m2m)
    cache.set(_key(resource, user), checked, TIMEOUT)
    return True


def take(resource, dataset, user, now: tuple | None) -> Checked | None:
    """The preview's values for this confirmation, or ``None``: check every row again.

    ``now`` is ``state()`` read inside the confirmation's transaction, before it writes;
    a kept preview is used once."""
    if not applies(dataset, user) or now is None:
        return None
    key = _key(resource, user)
    checked = cache.get(key)
    if checked is None:
        return None
    cache.delete(key)
    if (
        not isinstance(checked, Checked)
        or checked.sha256 != dataset.inspection.sha256
        or len(checked.rows) != len(dataset)
        or checked.state != now
    ):
        return None
    return checked
