# syntax=docker/dockerfile:1
# govlake's Airflow image: the official Airflow image plus govlake and its dependencies exactly as
# locked in uv.lock. Built by docker-compose.yml (context: the repository root):
#
#   docker compose build
#
# Why this shape:
# - The base image already holds Airflow 3.3.2 and the providers the scaled deployment needs but
#   govlake's lock does not (celery, postgres, redis, fab). `uv sync --inexact` installs the
#   locked packages into the image's own virtualenv (/home/airflow/.local, its $VIRTUAL_ENV) and
#   leaves those providers in place; the lock wins wherever both name a package.
# - govlake is installed editable from /opt/govlake, so `govlake.settings.PROJECT_ROOT` is
#   /opt/govlake and dags/, catalog/, dbt_project/ and quality/ are found there (docker-compose.yml
#   bind-mounts the working tree's copies over the ones baked in here).
# - No secret is baked in: every secret comes from the environment at run time (deploy/.env).
FROM apache/airflow:3.3.2-python3.11

# The uv the Makefile bootstraps (UV_VERSION there): the one that reads uv.lock as committed.
COPY --from=ghcr.io/astral-sh/uv:0.13.9 /uv /usr/local/bin/uv

USER root
# The lake's mount point: a named volume mounted here is initialised with this owner and mode.
# Group 0 (the airflow user's group, whatever AIRFLOW_UID is) may write; setgid keeps it so.
RUN install -d -o airflow -g 0 -m 2775 /opt/govlake /data/lake
USER airflow

WORKDIR /opt/govlake
ENV UV_PROJECT_ENVIRONMENT=/home/airflow/.local \
    UV_PYTHON_DOWNLOADS=never \
    UV_LINK_MODE=copy \
    UV_COMPILE_BYTECODE=1 \
    UV_NO_CACHE=1

# 1. Third-party dependencies as locked: this layer changes only when the lock does.
COPY --chown=airflow:0 pyproject.toml uv.lock README.md ./
RUN uv sync --frozen --no-dev --inexact --no-install-project

# 2. govlake itself (editable) and the project folders its code locates from PROJECT_ROOT.
COPY --chown=airflow:0 src ./src
COPY --chown=airflow:0 dags ./dags
COPY --chown=airflow:0 catalog ./catalog
COPY --chown=airflow:0 dbt_project ./dbt_project
COPY --chown=airflow:0 quality ./quality
RUN uv sync --frozen --no-dev --inexact

# 3. Fail the build, not the first task, if the result cannot run govlake on Celery + Postgres.
#    `uv pip check` reports any base-image provider whose requirements the lock overrode; it
#    warns rather than fails because unused providers (e.g. cloud ones) may disagree harmlessly.
RUN python -c "import govlake.settings as s, govlake.cli, dbt.version, duckdb; \
import airflow.providers.celery, airflow.providers.postgres, airflow.providers.fab; \
from govlake.airflow_workers import CELERY_CONFIG; assert CELERY_CONFIG['broker_url']; \
assert str(s.PROJECT_ROOT) == '/opt/govlake', s.PROJECT_ROOT" \
 && airflow version \
 && govlake --help >/dev/null \
 && (uv pip check --python /home/airflow/.local/bin/python \
     || echo "WARNING: uv pip check found conflicts (see above); check they concern unused providers")
