"""The department register (资源目录登记): one YAML per department under ``catalog/departments``.

Every resource's catalogue metadata (政务信息资源目录编制指南, 2017) and its 信息项 (fields) are
written once here; DAGs, dbt sources, quality suites and CKAN metadata are derived from it.
Loading validates with pydantic and reports file, resource and field on any error.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from enum import StrEnum
from functools import cached_property
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

IDENT = r"^[a-z][a-z0-9_]*$"


class RegisterError(ValueError):
    """A register file is wrong; the message names file, resource and field."""


class ShareType(StrEnum):
    """共享类型."""

    unconditional = "无条件共享"
    conditional = "有条件共享"
    none = "不予共享"


class OpenType(StrEnum):
    """开放属性."""

    open = "无条件开放"
    conditional = "有条件开放"
    closed = "不予开放"


class UpdateCycle(StrEnum):
    """更新周期."""

    realtime = "实时"
    daily = "每日"
    weekly = "每周"
    monthly = "每月"
    quarterly = "每季度"
    yearly = "每年"


class Sensitivity(StrEnum):
    """Who may see a field: public < internal < personal (个人信息) < secret (涉密)."""

    public = "public"
    internal = "internal"
    personal = "personal"
    secret = "secret"


class FieldType(StrEnum):
    """Logical type of a 信息项; raw keeps the delivered text, staging casts to this."""

    string = "string"
    integer = "integer"
    decimal = "decimal"
    date = "date"
    month = "month"  # YYYY-MM
    boolean = "boolean"


class FieldFormat(StrEnum):
    """Domain formats with their own checks (quality/) and normalisation (staging)."""

    citizen_id = "citizen_id"  # 公民身份号码, GB 11643
    credit_code = "credit_code"  # 统一社会信用代码, GB 32100
    street_code = "street_code"  # 街道 (乡级) code, 9 digits
    division_code = "division_code"  # GB/T 2260, 6 digits
    industry_code = "industry_code"  # GB/T 4754: section letter + up to 4 digits
    period = "period"  # 2024, 2024Q1 or 2024-01
    phone = "phone"


PSEUDONYMISED_FORMATS = frozenset({FieldFormat.citizen_id, FieldFormat.phone})

FileFormat = Literal["csv", "xlsx", "jsonl"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, use_enum_values=False)


class InfoItem(_Strict):
    """信息项: one field of a resource."""

    name: Annotated[str, Field(pattern=IDENT)]
    label: str = Field(description="中文名称, the header departments use")
    type: FieldType = FieldType.string
    format: FieldFormat | None = None
    nullable: bool = True
    key: bool = False
    sensitivity: Sensitivity = Sensitivity.internal
    description: str
    allowed: list[str] | None = Field(default=None, description="closed list or vocab:<name>")
    min: float | None = None
    max: float | None = None
    base_attribute: str | None = Field(
        default=None, description="<entity>.<attribute> of a base database this field feeds"
    )
    authoritative: bool = Field(default=False, description="权威来源 for its base_attribute")

    @property
    def pseudonymised(self) -> bool:
        return self.format in PSEUDONYMISED_FORMATS

    @property
    def pseudonym_column(self) -> str:
        return f"{self.name}_key"

    @model_validator(mode="after")
    def _check(self) -> InfoItem:
        if self.key and self.nullable:
            raise ValueError("a key field cannot be nullable")
        if self.authoritative and not self.base_attribute:
            raise ValueError("authoritative needs base_attribute")
        if self.base_attribute and not re.match(r"^[a-z_]+\.[a-z_]+$", self.base_attribute):
            raise ValueError(f"base_attribute {self.base_attribute!r} is not <entity>.<attribute>")
        return self


class Classification(_Strict):
    """资源分类: 类 (1 digit) / 项 (2) / 目 (3) / 细目 (3)."""

    category: Annotated[str, Field(pattern=r"^[1-3]$", description="类: 1 基础 2 主题 3 部门")]
    item: Annotated[str, Field(pattern=r"^\d{2}$", description="项")]
    subitem: Annotated[str, Field(pattern=r"^\d{3}$", description="目")]
    detail: Annotated[str, Field(pattern=r"^\d{3}$", description="细目")]

    @property
    def code(self) -> str:
        return f"{self.category}{self.item}{self.subitem}{self.detail}"


class DeliveryKind(StrEnum):
    """What one delivery of a resource is; the base databases follow it (docs/register.md)."""

    snapshot = "snapshot"  # 全量: the whole extract; keys it lacks have left (end dated)
    delta = "delta"  # 增量: changes only; its operation column says insert / update / delete


OPERATION_VOCAB = "operation"  # vocab.yml: the words departments write → insert/update/delete
OPERATIONS = ("insert", "update", "delete")


class Delivery(_Strict):
    """How the provider delivers the extract (what ingestion expects, not what it requires)."""

    kind: DeliveryKind = Field(
        default=DeliveryKind.snapshot,
        description="snapshot (全量, the default: every delivery is the whole extract, and a key "
        "missing from the newest one has left) or delta (增量: only changes; rows of keys not "
        "delivered stay as they are)",
    )
    operation: str | None = Field(
        default=None,
        description="delta only: the field (allowed: [vocab:operation]) whose value says what a "
        "row does, e.g. 新增 / 变更 / 注销; without one a delta only adds and updates (a series "
        "of months)",
    )
    format: FileFormat
    encoding: Literal["utf-8", "utf-8-sig", "gb18030"] = "utf-8"
    headers: Literal["zh", "en"] = "zh"
    sheet: str | None = Field(
        default=None, description="workbooks: the one sheet to read (default: every sheet)"
    )

    @model_validator(mode="after")
    def _check(self) -> Delivery:
        if self.sheet is not None and self.format != "xlsx":
            raise ValueError(f"sheet {self.sheet!r} applies only to format xlsx, not {self.format}")
        if self.sheet is not None and not self.sheet.strip():
            raise ValueError("sheet is empty: name the sheet to read, or leave it out")
        if self.operation is not None and self.kind is not DeliveryKind.delta:
            raise ValueError(
                f"operation {self.operation!r} applies only to kind: delta (a snapshot has no "
                "operation column: a key missing from it has left)"
            )
        return self


class Completion(StrEnum):
    """How a department's front-end exchange server (前置交换) says a file is complete."""

    ok_marker = "ok_marker"  # <file>.ok beside the file, written after it
    success_marker = "success_marker"  # _SUCCESS in the date folder, written after its files
    settle = "settle"  # no marker: the file has not changed for settle_seconds


DEFAULT_SETTLE_SECONDS = 60


class DepartmentDelivery(_Strict):
    """How a department's files arrive in the landing zone (docs/delivery.md)."""

    completion: Completion = Completion.settle
    settle_seconds: int | None = Field(
        default=None, ge=0, description=f"settle only (default {DEFAULT_SETTLE_SECONDS})"
    )
    ends_with_line_break: bool = Field(
        default=True,
        description="false: the department's files never end with a line break, so a last "
        "line without one is not taken as cut",
    )

    @model_validator(mode="after")
    def _check(self) -> DepartmentDelivery:
        if self.settle_seconds is not None and self.completion is not Completion.settle:
            raise ValueError(
                f"settle_seconds applies only to completion: settle (this department uses "
                f"{self.completion.value})"
            )
        return self

    @property
    def settle(self) -> int:
        """Seconds a file must stay unchanged (completion: settle)."""
        return DEFAULT_SETTLE_SECONDS if self.settle_seconds is None else self.settle_seconds


class CatalogueFields(_Strict):
    """The 编制指南 (2017) fields every catalogue entry has, whether a department delivers it
    (``Resource``) or govlake derives it (``DerivedResource``, written in dbt YAML ``meta``)."""

    name: str = Field(description="信息资源名称")
    name_en: str
    resource_code: Annotated[str, Field(pattern=r"^\d{9}/\d{6}$", description="信息资源代码")]
    classification: Classification
    abstract: str = Field(description="信息资源摘要")
    share_type: ShareType
    share_condition: str | None = Field(default=None, description="共享条件 (有条件共享)")
    share_basis: str | None = Field(
        default=None, description="不予共享的法律、行政法规或政策依据 (required for 不予共享)"
    )
    share_method: Literal["接口", "文件下载", "库表交换"] | None = Field(
        default=None, description="共享方式 (none for 不予共享)"
    )
    open_type: OpenType
    open_condition: str | None = None
    update_cycle: UpdateCycle
    published: dt.date = Field(description="发布日期")
    classified: bool = Field(default=False, description="涉密属性")
    base_database: str | None = Field(
        default=None, description="基础库 it feeds: a key of vocab base_database"
    )
    theme: str | None = Field(default=None, description="主题库 it feeds: a key of vocab theme")
    related: list[str] = Field(default_factory=list, description="关联资源代码")

    @property
    def is_open(self) -> bool:
        """May be published (open, not classified)."""
        return self.open_type is not OpenType.closed and not self.classified

    @model_validator(mode="after")
    def _check_catalogue(self) -> CatalogueFields:
        if not self.resource_code.startswith(self.classification.code + "/"):
            raise ValueError(
                f"resource_code {self.resource_code} does not start with its classification "
                f"code {self.classification.code}"
            )
        if self.share_type is ShareType.conditional and not self.share_condition:
            raise ValueError("有条件共享 needs share_condition")
        if self.share_type is ShareType.none and not self.share_basis:
            raise ValueError(
                "不予共享 needs share_basis (the law, regulation or policy it rests on)"
            )
        if self.share_type is not ShareType.none and not self.share_method:
            raise ValueError(f"{self.share_type.value} needs share_method (共享方式)")
        if self.open_type is OpenType.conditional and not self.open_condition:
            raise ValueError("有条件开放 needs open_condition")
        if self.classified and self.open_type is not OpenType.closed:
            raise ValueError("a classified (涉密) resource cannot be open")
        if self.classified and self.share_type is not ShareType.none:
            raise ValueError("a classified (涉密) resource cannot be shared: use 不予共享")
        return self


class Resource(CatalogueFields):
    """信息资源: one catalogue entry, delivered as one extract."""

    id: Annotated[str, Field(pattern=IDENT)]
    delivery: Delivery
    max_failure_rate: float = Field(default=0.05, ge=0, le=1, description="quality gate hold")
    latest_by: list[str] = Field(
        default_factory=list,
        description="fields whose highest value wins among rows of one key (e.g. a revision "
        "number), before the latest batch does",
    )
    fields: list[InfoItem]

    # filled by Department after load
    department: str = ""

    @cached_property
    def field_map(self) -> dict[str, InfoItem]:
        return {f.name: f for f in self.fields}

    @property
    def key_fields(self) -> list[InfoItem]:
        return [f for f in self.fields if f.key]

    @model_validator(mode="after")
    def _check(self) -> Resource:
        seen: set[str] = set()
        for f in self.fields:
            for name in (f.name, f.label):
                if name in seen:
                    raise ValueError(f"field name or label {name!r} appears twice")
                seen.add(name)
        if not self.key_fields:
            raise ValueError("a resource needs at least one key field")
        unknown = [name for name in self.latest_by if name not in self.field_map]
        if unknown:
            raise ValueError(f"latest_by names unknown field(s): {', '.join(unknown)}")
        op = self.delivery.operation
        if op is not None:
            item = self.field_map.get(op)
            if item is None:
                raise ValueError(f"delivery operation {op!r} is not a field of the resource")
            if item.key or item.nullable or item.allowed != [f"vocab:{OPERATION_VOCAB}"]:
                raise ValueError(
                    f"operation field {op!r} must be a non-key field with nullable: false and "
                    f"allowed: [vocab:{OPERATION_VOCAB}] (the gate checks its words)"
                )
        return self

    @property
    def operation_field(self) -> InfoItem | None:
        """The delta's operation column (操作类型), if it has one."""
        op = self.delivery.operation
        return self.field_map[op] if op else None


class DerivedResource(CatalogueFields):
    """信息资源 govlake derives (基础库, 主题库, open products). Its entry is written once, in its
    dbt model's YAML ``meta.catalogue``; its 信息项 are the model's documented columns."""

    provider: Annotated[
        str, Field(pattern=IDENT, description="提供方: the register department answerable for it")
    ]


class Department(_Strict):
    """提供方: a department and the resources it delivers."""

    id: Annotated[str, Field(pattern=IDENT)]
    name: str = Field(description="提供方名称")
    name_en: str
    code: Annotated[str, Field(description="提供方代码 (统一社会信用代码)")]
    delivery: DepartmentDelivery = Field(
        default_factory=DepartmentDelivery, description="completion rule of its landing files"
    )
    resources: list[Resource]

    @model_validator(mode="after")
    def _check(self) -> Department:
        from govlake.identifiers import credit_code_problem

        problem = credit_code_problem(self.code)
        if problem:
            raise ValueError(f"code {self.code}: {problem}")
        return self


class Register:
    """All departments, their resources and the controlled vocabularies."""

    def __init__(self, departments: list[Department], vocab: dict[str, dict[str, str]]):
        self.departments = {d.id: d for d in departments}
        self.vocab = vocab
        self.resources: dict[str, Resource] = {}
        for d in departments:
            for r in d.resources:
                object.__setattr__(r, "department", d.id)
                self.resources[r.id] = r

    def resource(self, resource_id: str) -> Resource:
        try:
            return self.resources[resource_id]
        except KeyError:
            raise RegisterError(
                f"unknown resource {resource_id!r}; known: {', '.join(sorted(self.resources))}"
            ) from None

    def allowed_values(self, item: InfoItem) -> list[str] | None:
        if item.allowed and len(item.allowed) == 1 and item.allowed[0].startswith("vocab:"):
            return list(self.vocab[item.allowed[0].removeprefix("vocab:")])
        return item.allowed

    def operation_words(self, meaning: str) -> list[str]:
        """The words (vocab ``operation``) departments write for insert, update or delete."""
        return [w for w, m in self.vocab.get(OPERATION_VOCAB, {}).items() if m == meaning]

    def authorities(self) -> dict[str, tuple[str, InfoItem]]:
        """base_attribute → (resource id, field) of its one authoritative source (一数一源)."""
        out: dict[str, tuple[str, InfoItem]] = {}
        for r in self.resources.values():
            for f in r.fields:
                if f.authoritative and f.base_attribute:
                    out[f.base_attribute] = (r.id, f)
        return out


def load_yaml(text: str):
    """Safe YAML with libyaml's parser when present (the build reads the register and the
    models' YAML on every run; the pure-Python parser is several times slower)."""
    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def _pydantic_message(path: Path, data: dict, err: ValidationError) -> str:
    """Turn pydantic's locations into 'resource X / field Y / attribute' for people."""
    lines = [f"{path}: invalid register entry"]
    for e in err.errors():
        where: list[str] = []
        node: object = data
        for part in e["loc"]:
            if isinstance(node, dict):
                node = node.get(part)
            elif isinstance(node, list) and isinstance(part, int) and part < len(node):
                node = node[part]
            else:
                node = None
            if isinstance(node, dict) and "label" in node:
                where.append(f"field {node.get('name')}")
            elif isinstance(node, dict) and "fields" in node:
                where.append(f"resource {node.get('id')}")
            elif not isinstance(part, int):
                where.append(str(part))
        lines.append(f"  {' / '.join(where) or '(top)'}: {e['msg']}")
    return "\n".join(lines)


def load_department(path: Path) -> Department:
    try:
        data = load_yaml(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise RegisterError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise RegisterError(f"{path}: expected a mapping with id, name, code, resources")
    try:
        return Department.model_validate(data)
    except ValidationError as exc:
        raise RegisterError(_pydantic_message(path, data, exc)) from None


# Resource attributes whose values come from a vocabulary in catalog/vocab.yml.
VOCAB_ATTRIBUTES = ("base_database", "theme")


def _check_vocab(register: Register, files: dict[str, Path]) -> None:
    for r in register.resources.values():
        for attr in VOCAB_ATTRIBUTES:
            value = getattr(r, attr)
            known = register.vocab.get(attr, {})
            if value is not None and value not in known:
                raise RegisterError(
                    f"{files[r.id]}: resource {r.id} / {attr}: {value!r} is not in vocabulary "
                    f"{attr!r} of vocab.yml (known: {', '.join(known) or 'none'}); add it there"
                )
        for f in r.fields:
            if f.allowed and f.allowed[0].startswith("vocab:"):
                name = f.allowed[0].removeprefix("vocab:")
                if name not in register.vocab:
                    raise RegisterError(
                        f"{files[r.id]}: resource {r.id} / field {f.name}: unknown vocabulary "
                        f"{name!r}"
                    )


def _check_operations(register: Register, files: dict[str, Path]) -> None:
    words = register.vocab.get(OPERATION_VOCAB)
    users = [r.id for r in register.resources.values() if r.delivery.operation]
    if not users:
        return
    bad = sorted({str(m) for m in (words or {}).values()} - set(OPERATIONS))
    if not words or bad:
        raise RegisterError(
            f"{files[users[0]]}: resource {users[0]} / delivery operation: vocabulary "
            f"{OPERATION_VOCAB!r} of vocab.yml must map each word to one of "
            f"{', '.join(OPERATIONS)}" + (f" (found {', '.join(bad)})" if bad else "")
        )


def _check_across(register: Register, files: dict[str, Path]) -> None:
    codes: dict[str, str] = {}
    by_attr: dict[str, list[tuple[str, InfoItem]]] = defaultdict(list)
    for r in register.resources.values():
        if r.resource_code in codes:
            raise RegisterError(
                f"{files[r.id]}: resource {r.id}: resource_code {r.resource_code} already used "
                f"by {codes[r.resource_code]}"
            )
        codes[r.resource_code] = r.id
        for f in r.fields:
            if f.base_attribute:
                by_attr[f.base_attribute].append((r.id, f))
    for attr, sources in by_attr.items():
        auth = [rid for rid, f in sources if f.authoritative]
        if len(auth) != 1:
            rid = sources[0][0]
            raise RegisterError(
                f"{files[rid]}: base attribute {attr} needs exactly one authoritative source "
                f"(一数一源); found {len(auth)}: {', '.join(auth) or 'none'}"
            )
    for r in register.resources.values():
        for code in r.related:
            if code not in codes:
                raise RegisterError(
                    f"{files[r.id]}: resource {r.id}: related code {code} is not in the register"
                )


def load_register(directory: Path | None = None) -> Register:
    """Load and validate ``catalog/departments/*.yml`` and ``catalog/vocab.yml``."""
    if directory is None:
        from govlake.settings import get_settings

        directory = get_settings().register_dir
    dept_dir = directory / "departments"
    paths = sorted(dept_dir.glob("*.yml"))
    if not paths:
        raise RegisterError(f"{dept_dir}: no department files (*.yml)")
    departments = [load_department(p) for p in paths]
    files: dict[str, Path] = {}
    seen_dept: dict[str, Path] = {}
    seen_code: dict[str, Path] = {}
    for p, d in zip(paths, departments, strict=True):
        if d.id in seen_dept:
            raise RegisterError(f"{p}: department id {d.id} already defined in {seen_dept[d.id]}")
        if d.code in seen_code:
            raise RegisterError(
                f"{p}: department code {d.code} already used in {seen_code[d.code]}"
            )
        seen_dept[d.id] = p
        seen_code[d.code] = p
        for r in d.resources:
            if r.id in files:
                raise RegisterError(f"{p}: resource {r.id} already defined in {files[r.id]}")
            files[r.id] = p
    vocab_path = directory / "vocab.yml"
    vocab = load_yaml(vocab_path.read_text(encoding="utf-8")) if vocab_path.exists() else {}
    register = Register(departments, vocab or {})
    _check_vocab(register, files)
    _check_operations(register, files)
    _check_across(register, files)
    return register
