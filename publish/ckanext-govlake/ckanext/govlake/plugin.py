"""The ``govlake_pgsearch`` plugin: CKAN without Solr.

CKAN imported ``make_connection`` by name into three modules and checks Solr's schema version at
start-up; the plugin replaces all four when it is loaded (before CKAN's start-up check runs), so
every search, index and delete goes to ``PgSolr``. It also adds ``ckan govlake setup``, which
prepares a fresh portal in one process (CKAN's CLI start-up is the slow part).
"""

from __future__ import annotations

import json
import os
from typing import Any

import ckan.plugins as p
import click
from ckanext.govlake.pgsearch import PgSolr

SUPPORTED_CKAN = ("2.11", "2.12")


def make_connection(decode_dates: bool = True) -> PgSolr:
    """Stands where ``ckan.lib.search.common.make_connection`` stood."""
    return PgSolr()


def check_solr_schema_version(schema_file: str | None = None) -> bool:
    """The index is ours: its layout is created by ``PgSolr`` itself, nothing to check."""
    return True


def patch_search() -> None:
    import ckan
    import ckan.lib.search as search
    import ckan.lib.search.common as common
    import ckan.lib.search.index as index
    import ckan.lib.search.query as query

    if not ckan.__version__.startswith(SUPPORTED_CKAN):
        raise RuntimeError(
            f"govlake_pgsearch was written for CKAN {' / '.join(SUPPORTED_CKAN)}, "
            f"not {ckan.__version__}: check ckan.lib.search before enabling it"
        )
    for module in (common, index, query, search):
        module.make_connection = make_connection  # type: ignore[attr-defined]
    search.check_solr_schema_version = check_solr_schema_version


class PgSearchPlugin(p.SingletonPlugin):
    p.implements(p.IConfigurer)
    p.implements(p.IClick)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        patch_search()

    def update_config(self, config: Any) -> None:
        patch_search()

    def get_commands(self) -> list[Any]:
        return [govlake]


@click.group(short_help="govlake portal set-up")
def govlake() -> None:
    pass


@govlake.command()
@click.option("--admin", required=True, help="sysadmin user name")
@click.option("--email", required=True)
@click.pass_context
def setup(ctx: click.Context, admin: str, email: str) -> None:
    """Database migrations, the sysadmin (password from GOVLAKE_PORTAL_ADMIN_PASSWORD) and one
    API token, printed as JSON on stdout for the caller to store; never logged."""
    import ckan.logic as logic
    import ckan.model as model
    from ckan.cli.db import upgrade

    ctx.invoke(upgrade)
    site_user = logic.get_action("get_site_user")({"ignore_auth": True}, {})
    context = {"ignore_auth": True, "user": site_user["name"]}
    password = os.environ["GOVLAKE_PORTAL_ADMIN_PASSWORD"]
    with ctx.meta["flask_app"].test_request_context():
        if model.User.get(admin) is None:
            logic.get_action("user_create")(
                dict(context), {"name": admin, "email": email, "password": password}
            )
        user = model.User.get(admin)
        user.sysadmin = True
        model.Session.commit()
        token = logic.get_action("api_token_create")(
            dict(context), {"user": admin, "name": "govlake"}
        )["token"]
    click.echo(json.dumps({"api_token": token}))
