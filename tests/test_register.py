"""The register loads, and each kind of mistake in it is reported with file, resource and field."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from govlake.register import OpenType, RegisterError, ShareType, load_register

pytestmark = pytest.mark.unit
ROOT = Path(__file__).resolve().parents[1]


def test_register_loads_every_department(register) -> None:
    """Every department file and every resource in it is loaded (counted from the YAML)."""
    files = sorted((ROOT / "catalog" / "departments").glob("*.yml"))
    data = [yaml.safe_load(p.read_text(encoding="utf-8")) for p in files]
    assert set(register.departments) == {d["id"] for d in data}
    assert {"police", "market_regulation", "statistics"} <= set(register.departments)
    assert sorted(register.resources) == sorted(r["id"] for d in data for r in d["resources"])
    person = register.resource("registered_person")
    assert person.department == "police"
    assert person.share_type is ShareType.conditional
    assert person.open_type is OpenType.closed and not person.is_open
    assert [f.name for f in person.key_fields] == ["citizen_id"]
    assert person.field_map["citizen_id"].pseudonymised
    assert register.resource("economic_indicator").is_open


def test_every_base_attribute_has_one_authority(register) -> None:
    auth = register.authorities()
    assert auth["person.street"][0] == "registered_person"
    assert auth["legal_entity.industry"][0] == "statistical_unit"
    assert auth["legal_entity.name"][0] == "enterprise_registration"


def test_vocab_references_resolve(register) -> None:
    street = register.resource("registered_person").field_map["street_code"]
    assert register.allowed_values(street) == [
        "110107001", "110107002", "110107003", "110107004", "110107005",
        "110107006", "110107009", "110107010", "110107011",
    ]  # fmt: skip


def test_unknown_resource_names_the_known_ones(register) -> None:
    with pytest.raises(RegisterError, match=r"unknown resource 'nope'.*registered_person"):
        register.resource("nope")


@pytest.fixture
def catalog_copy(tmp_path: Path) -> Path:
    dest = tmp_path / "catalog"
    shutil.copytree(ROOT / "catalog", dest)
    return dest


def _edit(catalog: Path, dept: str, change) -> Path:
    path = catalog / "departments" / f"{dept}.yml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def _field(data: dict, resource: str, field: str) -> dict:
    res = next(r for r in data["resources"] if r["id"] == resource)
    return next(f for f in res["fields"] if f["name"] == field)


BAD_EDITS = {
    "missing description": (
        "police",
        lambda d: _field(d, "registered_person", "sex").pop("description"),
        r"police\.yml.*resource registered_person / fields / field sex / description: "
        "Field required",
    ),
    "unknown field type": (
        "tax",
        lambda d: _field(d, "tax_registration", "credit_band").update(type="colour"),
        r"tax\.yml.*resource tax_registration / fields / field credit_band / type: Input should be",
    ),
    "nullable key": (
        "tourism",
        lambda d: _field(d, "hotel", "hotel_code").update(nullable=True),
        r"tourism\.yml.*field hotel_code.*a key field cannot be nullable",
    ),
    "code outside its classification": (
        "health",
        lambda d: d["resources"][0].update(resource_code="308009009/000001"),
        r"health\.yml.*resource medical_institution.*does not start with its classification",
    ),
    "conditional share without condition": (
        "tax",
        lambda d: d["resources"][0].pop("share_condition"),
        r"tax\.yml.*resource tax_registration.*有条件共享 needs share_condition",
    ),
    "classified but open": (
        "tourism",
        lambda d: d["resources"][0].update(classified=True),
        r"tourism\.yml.*classified \(涉密\) resource cannot be open",
    ),
    "refused share without its basis": (
        "tax",
        lambda d: d["resources"][1].pop("share_basis"),
        r"tax\.yml.*resource tax_payment.*不予共享 needs share_basis",
    ),
    "classified but shared": (
        "civil_defence",
        lambda d: d["resources"][0].update(
            share_type="有条件共享", share_condition="审批", share_method="接口"
        ),
        r"civil_defence\.yml.*resource air_defence_work.*classified \(涉密\) resource cannot be "
        "shared",
    ),
    "open with a condition but no text": (
        "health",
        lambda d: d["resources"][0].update(open_type="有条件开放"),
        r"health\.yml.*resource medical_institution.*有条件开放 needs open_condition",
    ),
    "shared without a method": (
        "health",
        lambda d: d["resources"][0].pop("share_method"),
        r"health\.yml.*resource medical_institution.*needs share_method",
    ),
    "bad department credit code": (
        "police",
        lambda d: d.update(code="111101070000120109"),
        r"police\.yml.*code 111101070000120109: check character 9, expected 8",
    ),
    "unknown extra key": (
        "hrss",
        lambda d: d["resources"][0].update(sharing="yes"),
        r"hrss\.yml.*resource social_insurance_enrolment / sharing: Extra inputs are not permitted",
    ),
    "latest_by an unknown field": (
        "statistics",
        lambda d: d["resources"][1].update(latest_by=["revison"]),
        r"statistics\.yml.*resource economic_indicator.*latest_by names unknown field\(s\): "
        "revison",
    ),
    "operation on a snapshot": (
        "police",
        lambda d: d["resources"][1]["delivery"].update(operation="household_type"),
        r"police\.yml.*resource household / delivery.*operation 'household_type' applies only "
        "to kind: delta",
    ),
    "operation that is no field": (
        "police",
        lambda d: d["resources"][0]["delivery"].update(operation="op"),
        r"police\.yml.*resource registered_person.*delivery operation 'op' is not a field",
    ),
    "operation without the operation vocabulary": (
        "police",
        lambda d: d["resources"][0]["delivery"].update(operation="sex"),
        r"police\.yml.*resource registered_person.*operation field 'sex' must be .*"
        r"allowed: \[vocab:operation\]",
    ),
    "unknown delivery kind": (
        "tax",
        lambda d: d["resources"][0]["delivery"].update(kind="full"),
        r"tax\.yml.*resource tax_registration / delivery / kind: Input should be 'snapshot' or "
        "'delta'",
    ),
    "duplicate label": (
        "health",
        lambda d: _field(d, "medical_institution", "staff").update(label="床位数"),
        r"health\.yml.*床位数.*appears twice",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_EDITS))
def test_bad_register_entry_is_reported_with_place(catalog_copy: Path, case: str) -> None:
    dept, change, message = BAD_EDITS[case]
    _edit(catalog_copy, dept, change)
    with pytest.raises(RegisterError, match="(?s)" + message):
        load_register(catalog_copy)


def test_delivery_kinds_of_the_sample_register(register) -> None:
    """A full extract is a snapshot (the default); change feeds name their operation column,
    whose words the vocabulary maps to insert / update / delete."""
    from govlake.register import DeliveryKind

    kinds = {r.id: r.delivery.kind for r in register.resources.values()}
    assert kinds["household"] is DeliveryKind.snapshot
    assert kinds["statistical_unit"] is DeliveryKind.snapshot
    for rid in ("registered_person", "social_insurance_enrolment", "enterprise_registration"):
        assert kinds[rid] is DeliveryKind.delta
        assert register.resource(rid).operation_field.label == "操作类型"
    assert register.resource("tourism_monthly").operation_field is None
    assert {"注销", "吊销", "删除"} <= set(register.operation_words("delete"))
    assert "新增" in register.operation_words("insert")
    assert "注销" not in register.operation_words("update")


def test_operation_words_must_say_insert_update_or_delete(catalog_copy: Path) -> None:
    vocab = catalog_copy / "vocab.yml"
    text = vocab.read_text(encoding="utf-8").replace("注销: delete", "注销: remove")
    vocab.write_text(text, encoding="utf-8")
    with pytest.raises(RegisterError, match=r"vocabulary 'operation'.*\(found remove\)"):
        load_register(catalog_copy)


def test_two_authorities_for_one_attribute(catalog_copy: Path) -> None:
    _edit(
        catalog_copy,
        "tax",
        lambda d: _field(d, "tax_registration", "taxpayer_name").update(authoritative=True),
    )
    with pytest.raises(
        RegisterError, match=r"legal_entity\.name needs exactly one authoritative.*found 2"
    ):
        load_register(catalog_copy)


def test_unknown_vocabulary(catalog_copy: Path) -> None:
    _edit(
        catalog_copy,
        "tax",
        lambda d: _field(d, "tax_registration", "tax_status").update(allowed=["vocab:colours"]),
    )
    with pytest.raises(
        RegisterError,
        match=r"tax\.yml: resource tax_registration / field tax_status: "
        "unknown vocabulary 'colours'",
    ):
        load_register(catalog_copy)


def test_theme_comes_from_the_vocabulary(catalog_copy: Path) -> None:
    """A new theme (教育) is a vocabulary entry, not code: unknown → clear error; added → loads."""
    _edit(catalog_copy, "tourism", lambda d: d["resources"][0].update(theme="教育"))
    with pytest.raises(
        RegisterError,
        match=r"tourism\.yml: resource scenic_spot / theme: '教育' is not in vocabulary 'theme'",
    ):
        load_register(catalog_copy)
    vocab = catalog_copy / "vocab.yml"
    data = yaml.safe_load(vocab.read_text(encoding="utf-8"))
    data["theme"]["教育"] = "education"
    vocab.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    assert load_register(catalog_copy).resource("scenic_spot").theme == "教育"


def test_base_database_comes_from_the_vocabulary(catalog_copy: Path) -> None:
    _edit(catalog_copy, "tax", lambda d: d["resources"][0].update(base_database="法人库"))
    with pytest.raises(RegisterError, match=r"tax\.yml: resource tax_registration / base_database"):
        load_register(catalog_copy)


def test_duplicate_resource_code(catalog_copy: Path) -> None:
    _edit(
        catalog_copy,
        "civil_affairs",
        lambda d: d["resources"][1].update(resource_code="303001001/000001"),
    )
    with pytest.raises(RegisterError, match="resource_code 303001001/000001 already used"):
        load_register(catalog_copy)


def test_two_departments_with_one_code(catalog_copy: Path) -> None:
    _edit(catalog_copy, "tax", lambda d: d.update(code="111101070000120108"))
    with pytest.raises(RegisterError, match=r"tax\.yml: department code 111101070000120108 "
                       r"already used in .*police\.yml"):  # fmt: skip
        load_register(catalog_copy)


def test_related_code_must_exist(catalog_copy: Path) -> None:
    _edit(catalog_copy, "tourism", lambda d: d["resources"][2].update(related=["309999999/000001"]))
    with pytest.raises(RegisterError, match="related code 309999999/000001 is not in the register"):
        load_register(catalog_copy)


def test_not_yaml(catalog_copy: Path) -> None:
    (catalog_copy / "departments" / "broken.yml").write_text("id: [unclosed\n", encoding="utf-8")
    with pytest.raises(RegisterError, match=r"broken\.yml: not valid YAML"):
        load_register(catalog_copy)


def test_empty_register_directory(tmp_path: Path) -> None:
    (tmp_path / "departments").mkdir()
    with pytest.raises(RegisterError, match="no department files"):
        load_register(tmp_path)
