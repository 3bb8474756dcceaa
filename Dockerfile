FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY journeys ./journeys
RUN pip install --no-cache-dir .
COPY . .
# collectstatic needs production-shaped settings only to build the manifest.
RUN DEBUG=False SECRET_KEY=build-only-not-used-at-run-time-0123456789abcdefghijklmnop \
    SFMC_SECRET_KEYS=ZGV2LW9ubHktZmVybmV0LWtleS1ub3QtZm9yLXByb2Q= \
    ALLOWED_HOSTS=build python manage.py collectstatic --noinput
RUN useradd --create-home app && mkdir -p /app/var && chown app /app/var
USER app
EXPOSE 8000
CMD ["gunicorn", "journeys.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3"]
