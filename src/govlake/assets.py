"""Airflow Assets of the lake: how DAGs chain by data (data-aware scheduling), not by time."""

from __future__ import annotations

from airflow.sdk import Asset


def accepted_asset(resource_id: str) -> Asset:
    """Updated when a resource's new batch passed the quality gate."""
    return Asset(
        name=f"accepted__{resource_id}", uri=f"govlake://lake/accepted/{resource_id}", group="lake"
    )


def warehouse_asset(layer: str) -> Asset:
    """Updated when dbt rebuilt a warehouse layer (base, thematic, open, catalogue)."""
    return Asset(name=f"warehouse__{layer}", uri=f"govlake://warehouse/{layer}", group="warehouse")


# What the build DAG writes; the catalogue DAG writes the catalogue layer.
BUILT_LAYERS = ("base", "thematic", "open")


def catalogue_asset() -> Asset:
    """Updated when the catalogue's exports and site were rebuilt."""
    return Asset(name="catalogue", uri="govlake://lake/catalogue", group="catalogue")


def exchange_asset() -> Asset:
    """Updated when the exchange delivered to the departments' outboxes."""
    return Asset(name="exchange", uri="govlake://lake/exchange", group="exchange")


def open_data_asset() -> Asset:
    """Updated when the publisher synced the open datasets to CKAN."""
    return Asset(name="open_data_portal", uri="govlake://ckan/open-data", group="publish")
