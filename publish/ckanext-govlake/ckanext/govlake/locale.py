"""The ``govlake_locale`` plugin: CKAN's JavaScript in the portal's Chinese interface.

CKAN 2.11/2.12's ``client.js`` asks for its translations at ``/api/i18n/`` + the page's ``lang``
with only the first ``-`` turned into ``_``: for ``zh-Hans-CN`` that is ``zh_Hans-CN``, which
``/api/i18n/<lang>`` answers with 400, and then no JavaScript module starts (no DataTables
preview). This plugin serves those half-converted names with the locale's real translations;
a static route wins over CKAN's ``<lang>`` route whatever the registration order.
"""

from __future__ import annotations

from typing import Any

import ckan.plugins as p
from ckan.lib.i18n import get_locales_from_config
from ckan.views.api import i18n_js_translations
from flask import Blueprint

SUPPORTED_CKAN = ("2.11", "2.12")


def client_js_name(locale: str) -> str:
    """The name CKAN's client.js asks for: the page's ``lang`` with its first ``-`` as ``_``."""
    return locale.replace("_", "-").replace("-", "_", 1)


def blueprint() -> Blueprint:
    bp = Blueprint("govlake_locale", __name__)
    for locale in sorted(get_locales_from_config()):
        asked = client_js_name(locale)
        if asked != locale:  # only locales with a region and a script (zh_Hans_CN, zh_Hant_TW)
            bp.add_url_rule(
                f"/api/i18n/{asked}",
                endpoint=f"i18n_{locale}",
                view_func=lambda locale=locale: i18n_js_translations(locale),
            )
    return bp


class LocalePlugin(p.SingletonPlugin):
    p.implements(p.IBlueprint)

    def get_blueprint(self) -> list[Any]:
        import ckan

        if not ckan.__version__.startswith(SUPPORTED_CKAN):
            return []  # stock behaviour: another release may have fixed client.js
        return [blueprint()]
