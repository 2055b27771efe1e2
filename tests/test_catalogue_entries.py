"""Catalogue entries: the register's resources plus the derived ones declared in dbt meta, checked
together; codes are written down, so they never move when resources come or go."""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

import pytest
import yaml

from govlake.catalogue.entries import ENTRIES_SEED, ITEMS_SEED, entries, rendered
from govlake.register import RegisterError, load_register
from govlake.transform.project import SOURCE_DIR

pytestmark = pytest.mark.unit
ROOT = Path(__file__).resolve().parents[1]


def _derived_declared() -> dict[str, str]:
    """model → resource code, read straight from the YAML files (not through the code under
    test)."""
    out = {}
    for path in (ROOT / "dbt_project" / "models").rglob("*.yml"):
        for model in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("models", []):
            declared = (model.get("meta") or {}).get("catalogue")
            if declared:
                out[model["name"]] = declared["resource_code"]
    return out


def test_entries_are_the_register_plus_the_derived_models(register) -> None:
    found = entries(register)
    department = {e.resource_id: e.code for e in found if e.layer == "department"}
    derived = {e.resource_id: e.code for e in found if e.layer != "department"}
    assert department == {r.id: r.resource_code for r in register.resources.values()}
    assert derived == _derived_declared()
    assert len({e.code for e in found}) == len(found)
    assert {"base", "thematic", "open"} == {e.layer for e in found} - {"department"}
    for e in found:
        if e.layer != "department":
            assert e.provider_id in register.departments
            assert e.relation == f"{e.layer}.{e.resource_id}"


def test_classified_and_refused_resources_are_in_the_register(register) -> None:
    classified = [r for r in register.resources.values() if r.classified]
    refused = [r for r in register.resources.values() if r.share_type.value == "不予共享"]
    assert classified and all(r.share_type.value == "不予共享" for r in classified)
    assert [r for r in refused if not r.classified], "a 不予共享 resource that is not classified"
    assert all(r.share_basis for r in refused)
    by_code = {e.code: e for e in entries(register)}
    for r in classified:
        assert by_code[r.resource_code].relation is None  # no analysts' table


def _seed_rows(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))


def test_codes_are_stable_when_a_resource_is_added(tmp_path: Path, register) -> None:
    before = _seed_rows(rendered(register)[ENTRIES_SEED])
    assert _seed_rows(rendered(register)[ENTRIES_SEED]) == before  # same input, same rows
    catalog = tmp_path / "catalog"
    shutil.copytree(ROOT / "catalog", catalog)
    police = yaml.safe_load((catalog / "departments" / "police.yml").read_text(encoding="utf-8"))
    extra = dict(police["resources"][1], id="household_archive", name="户档案信息",
                 resource_code="301001001/000003", related=[])  # fmt: skip
    police["resources"].append(extra)
    (catalog / "departments" / "police.yml").write_text(
        yaml.safe_dump(police, allow_unicode=True), encoding="utf-8"
    )
    after = {
        r["resource_code"]: r for r in _seed_rows(rendered(load_register(catalog))[ENTRIES_SEED])
    }
    assert set(after) == {r["resource_code"] for r in before} | {"301001001/000003"}
    for row in before:
        assert after[row["resource_code"]] == row  # nothing else moved
    items = _seed_rows(rendered(load_register(catalog))[ITEMS_SEED])
    assert {i["resource_code"] for i in items} >= {"301001001/000003"}


def _project_copy(tmp_path: Path) -> Path:
    dest = tmp_path / "dbt_project"
    shutil.copytree(SOURCE_DIR / "models", dest / "models")
    return dest


def _edit_meta(project: Path, layer: str, model: str, change) -> None:
    path = next((project / "models" / layer).glob("_*.yml"))
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    node = next(m for m in data["models"] if m["name"] == model)
    change(node["meta"]["catalogue"])
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


BAD_META = {
    "code already in the register": (
        "base", "base_person", lambda c: c.update(resource_code="301001001/000001",
                                                  classification={"category": "3", "item": "01",
                                                                  "subitem": "001",
                                                                  "detail": "001"}),
        r"dbt model base_person \(meta.catalogue\): resource_code 301001001/000001 already used "
        "by registered_person",
    ),
    "code outside its classification": (
        "open", "open_tourism_monthly", lambda c: c.update(resource_code="209009009/000001"),
        r"_open__models\.yml: model open_tourism_monthly / meta.catalogue: .*does not start "
        "with its classification",
    ),
    "unknown provider": (
        "thematic", "tourism_spots", lambda c: c.update(provider="tourism_office"),
        r"dbt model tourism_spots \(meta.catalogue\): provider 'tourism_office' is not a "
        "department",
    ),
    "missing abstract": (
        "base", "base_indicator", lambda c: c.pop("abstract"),
        r"_base__models\.yml: model base_indicator / meta.catalogue: abstract: Field required",
    ),
    "refused without basis": (
        "thematic", "health_institutions",
        lambda c: c.update(share_type="不予共享"),
        r"model health_institutions / meta.catalogue: .*不予共享 needs share_basis",
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(BAD_META))
def test_bad_derived_entry_is_reported_with_place(tmp_path: Path, register, case: str) -> None:
    layer, model, change, message = BAD_META[case]
    project = _project_copy(tmp_path)
    _edit_meta(project, layer, model, change)
    with pytest.raises(RegisterError, match="(?s)" + message):
        entries(register, project)
