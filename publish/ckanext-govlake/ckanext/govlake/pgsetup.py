"""Roles and databases for CKAN and its DataStore on a fresh PostgreSQL, then the DataStore's
permissions script (what ``ckan datastore set-permissions | psql`` does, without psql).

Runs as ``python -m ckanext.govlake.pgsetup`` in the CKAN virtualenv before CKAN first starts:
the DataStore plugin checks its databases when it is loaded. Idempotent. Connection details come
in the environment (``GOVLAKE_PG_SETUP``, JSON) so no password is on a command line.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import ckanext.datastore
import psycopg2
from psycopg2.extensions import ISOLATION_LEVEL_AUTOCOMMIT, quote_ident


def connect(spec: dict, database: str):
    connection = psycopg2.connect(
        host=spec["host"],
        port=spec["port"],
        user=spec["superuser"],
        password=spec["superuser_password"],
        dbname=database,
    )
    connection.set_isolation_level(ISOLATION_LEVEL_AUTOCOMMIT)
    return connection


def main() -> None:
    spec = json.loads(os.environ["GOVLAKE_PG_SETUP"])
    connection = connect(spec, "postgres")  # not ``with connection``: that opens a transaction
    with connection.cursor() as cursor:
        for role, password in spec["roles"].items():
            cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,))
            verb = "ALTER" if cursor.fetchone() else "CREATE"
            cursor.execute(
                f"{verb} ROLE {quote_ident(role, cursor)} LOGIN PASSWORD %s", (password,)
            )
        for database, owner in spec["databases"].items():
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", (database,))
            if not cursor.fetchone():
                cursor.execute(
                    f"CREATE DATABASE {quote_ident(database, cursor)} "
                    f"OWNER {quote_ident(owner, cursor)} ENCODING 'UTF8' TEMPLATE template0"
                )
        names = {k: quote_ident(v, cursor) for k, v in spec["datastore_names"].items()}
    connection.close()
    template = Path(ckanext.datastore.__file__).with_name("set_permissions.sql").read_text()
    script = template.format(**names)
    # psql's "\connect db" switches database; everything before the first one is comments
    for chunk in re.split(r"^\\connect ", script, flags=re.M)[1:]:
        quoted, _, body = chunk.partition("\n")
        database = quoted.strip().strip('"').replace('""', '"')
        connection = connect(spec, database)
        with connection.cursor() as cursor:
            cursor.execute(body)
        connection.close()


if __name__ == "__main__":
    main()
