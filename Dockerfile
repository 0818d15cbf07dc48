# The BNF KPI app for production: gunicorn on port 8000, static files via whitenoise.
# Configuration comes from the environment (see README, "Configuratie").
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
COPY . .

# Static files are collected at build time with the production storage (hashed,
# compressed names); the key below exists only for this build step.
RUN pip install . \
    && DJANGO_DEBUG=0 \
       DJANGO_SECRET_KEY=collectstatic-build-only-not-a-secret-0123456789abcdef \
       python manage.py collectstatic --noinput -v 0 \
    && useradd --system --no-create-home --home-dir /app --uid 10001 bnf \
    && mkdir -p /app/media /app/private/evidence && chown bnf /app/media /app/private/evidence

USER bnf
EXPOSE 8000

# The worker (docker-compose.yml, service "worker") runs the same image with
# `python manage.py db_worker`; uploads wait for it in /app/media (MEDIA_ROOT).
CMD ["sh", "-c", "python manage.py migrate --noinput && exec gunicorn bnf.wsgi --bind 0.0.0.0:8000 --workers 3 --access-logfile -"]
