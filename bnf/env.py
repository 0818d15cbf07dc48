"""Settings from environment variables, read strictly (used by ``bnf/settings.py``).

A value the app does not understand stops the start, naming the variable and what it
accepts, the way healthchecks' ``envbool``/``envint`` do: ``DJANGO_DEBUG=ture`` must not
quietly mean "no", nor ``BNF_PROXY_COUNT=een`` a traceback without a name. An empty
value means the default, as an unset variable does. Values that may hold a password
(URLs) are never repeated in the message.
"""

import json
import math
import os
import re
from pathlib import Path
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

TRUE = ("1", "true", "yes", "ja", "on")
FALSE = ("0", "false", "no", "nee", "off")


def _value(name: str) -> str | None:
    value = os.environ.get(name, "").strip()
    return value or None


def _refuse(name: str, value: str, accepted: str):
    raise ImproperlyConfigured(f"{name}={value!r} is geen geldige waarde: {accepted}.")


def env_bool(name: str, default: bool) -> bool:
    value = _value(name)
    if value is None:
        return default
    if value.lower() in TRUE:
        return True
    if value.lower() in FALSE:
        return False
    _refuse(
        name,
        value,
        "gebruik 1/0, true/false, yes/no, ja/nee of on/off (hoofdletters mogen; "
        "leeg is de standaard)",
    )


def env_int(name: str, default: int, minimum: int = 0) -> int:
    value = _value(name)
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError:
        number = None
    if number is None or number < minimum:
        _refuse(name, value, f"verwacht een geheel getal van {minimum} of meer")
    return number


def env_float(name: str, default: float, minimum: float = 0) -> float:
    value = _value(name)
    if value is None:
        return default
    try:
        number = float(value)
    except ValueError:
        number = math.nan
    if not math.isfinite(number) or number < minimum:
        _refuse(name, value, f"verwacht een getal (seconden, bijv. 2.5) van {minimum:g} of meer")
    return number


def env_choice(name: str, default: str, choices: tuple[str, ...]) -> str:
    """One of ``choices`` (given in lower case; the value may be in any case)."""
    value = _value(name)
    if value is None:
        return default
    if value.lower() not in choices:
        _refuse(name, value, f"kies uit {', '.join(choices)}")
    return value.lower()


def env_list(name: str, default: str = "") -> list[str]:
    """A comma-separated list; spaces around the items and empty items are dropped."""
    value = _value(name) or default
    return [item.strip() for item in value.split(",") if item.strip()]


def env_hosts(name: str, default: str = "") -> list[str]:
    """Host names as ``ALLOWED_HOSTS`` wants them: no scheme, no path, no port."""
    hosts = env_list(name, default)
    for host in hosts:
        if "/" in host or " " in host or (":" in host and not host.startswith("[")):
            _refuse(
                name,
                host,
                "alleen hostnamen, kommagescheiden, zonder https://, poort of pad "
                "(bijv. kpi.bnf.nl,.bnf.nl)",
            )
    return hosts


def env_origins(name: str, default: str = "") -> list[str]:
    """Origins as ``CSRF_TRUSTED_ORIGINS`` wants them: ``https://host`` (a port may follow)."""
    origins = env_list(name, default)
    for origin in origins:
        parts = urlsplit(origin)
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.path not in ("", "/"):
            _refuse(
                name,
                origin,
                "origins met schema en zonder pad, kommagescheiden (bijv. https://kpi.bnf.nl)",
            )
    return origins


def env_url(name: str, default: str | None, schemes: tuple[str, ...], example: str) -> str | None:
    """A URL whose scheme is one of ``schemes``; the message names the scheme only."""
    value = _value(name)
    if value is None:
        return default
    scheme = urlsplit(value).scheme.lower() if "://" in value else ""
    if scheme not in schemes:
        found = f"begint met {scheme}://" if scheme else "begint niet met een schema (iets://)"
        accepted = ", ".join(f"{s}://" for s in schemes)
        raise ImproperlyConfigured(f"{name} {found}; de app kent {accepted} (bijv. {example}).")
    return value


def env_path(name: str, default: Path) -> Path:
    """An absolute directory path (a relative one would depend on where the app starts)."""
    value = _value(name)
    if value is None:
        return default
    if not os.path.isabs(value):
        _refuse(name, value, "verwacht een absoluut pad, bijv. /srv/bnf/bewijsstukken")
    return Path(value)


def env_import_path(name: str, default: str) -> str:
    """A dotted path to a class, such as ``storages.backends.s3.S3Storage``."""
    value = _value(name)
    if value is None:
        return default
    if not re.fullmatch(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)+", value):
        _refuse(name, value, "verwacht een Python-pad naar een klasse, bijv. pakket.module.Klasse")
    return value


def env_json_object(name: str) -> dict:
    """A JSON object (``{...}``); unset or empty is ``{}``. The value is never repeated:
    it may hold a secret."""
    value = _value(name)
    if value is None:
        return {}
    try:
        parsed = json.loads(value)
    except ValueError as error:
        raise ImproperlyConfigured(f"{name} is geen geldige JSON ({error.msg}).") from None
    if not isinstance(parsed, dict):
        raise ImproperlyConfigured(f"{name} moet een JSON-object zijn: {{...}}.")
    return parsed
