"""GX Data Docs as a static folder (``<lake>/quality_docs/index.html``).

Validation runs use throw-away in-memory contexts, so the docs are rebuilt from what the lake
keeps: each resource's suite (rebuilt from the register) and the latest stored GX result of
each batch. The site is built aside and swapped in, so a reader never sees half a site.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from govlake.lake import Lake
from govlake.quality.offline_docs import localise_data_docs
from govlake.register import Register, load_register


def docs_dir(lake: Lake) -> Path:
    return lake.root / "quality_docs"


def build_data_docs(
    lake: Lake | None = None,
    register: Register | None = None,
    *,
    resource_id: str | None = None,
    quality_dir: Path | None = None,
) -> Path:
    """Build the static site for every resource (or one); returns its ``index.html``."""
    from govlake.quality.gx_runner import ephemeral_context
    from govlake.quality.suites import build_suite

    lake, register = lake or Lake.default(), register or load_register()
    target = docs_dir(lake)
    building = target.with_name(f".{target.name}-building")
    shutil.rmtree(building, ignore_errors=True)
    context = ephemeral_context(building)

    from great_expectations.core import ExpectationSuiteValidationResult
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier,
        ValidationResultIdentifier,
    )

    resources = [resource_id] if resource_id else sorted(register.resources)
    for rid in resources:
        context.suites.add(build_suite(rid, register, directory=quality_dir))
        for path in sorted((lake.quality_results(rid) / "_gx").glob("*.json")):
            if path.name.startswith("."):
                continue
            stored = json.loads(path.read_text(encoding="utf-8"))
            data = stored["result"]
            result = ExpectationSuiteValidationResult(**data)
            run_time = data.get("meta", {}).get("run_id", {}).get("run_time")
            key = ValidationResultIdentifier(
                expectation_suite_identifier=ExpectationSuiteIdentifier(name=rid),
                run_id=RunIdentifier(run_name=stored["batch_id"], run_time=run_time),
                batch_identifier=stored["batch_id"],
            )
            context.validation_results_store.set(key, result)
    context.build_data_docs()
    localise_data_docs(building)  # no CDN: pages load vendored copies
    old = target.with_name(f".{target.name}-old")
    shutil.rmtree(old, ignore_errors=True)
    if target.exists():
        target.rename(old)
    building.rename(target)
    shutil.rmtree(old, ignore_errors=True)
    return target / "index.html"
