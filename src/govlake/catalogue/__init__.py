"""The government information resource catalogue (政务信息资源目录).

Entries come from the register (department extracts) and from the dbt YAML ``meta.catalogue`` of
derived models (基础库, 主题库, open products); the dbt models in
``dbt_project/models/catalogue/`` build the catalogue tables from them, with lineage, freshness
and quality. See docs/catalogue.md.
"""

from govlake.catalogue.entries import Entry, Item, entries

__all__ = ["Entry", "Item", "entries"]
