"""The dbt project a build runs: the hand-written ``dbt_project/`` plus what the register renders.

Sources, staging and current-row models, the analysts' per-resource tables, conflict models and
the vocabulary seed are derived from the register (``govlake.transform.sources``), the
catalogue's seeds from the register and the models' ``meta.catalogue`` (``govlake.catalogue``).
Rather than committing them, every build assembles the whole project in the lake
(``_build/dbt_project``): the repository's files copied, the rendered ones beside them. So adding
one department YAML is all a new extract needs, a build never rewrites a tracked file, and two
lakes built from two registers in one process never share a project folder.

Files are rewritten only when their bytes change and stale ones are removed, so dbt's partial
parsing (keyed on file contents) stays warm between builds.
"""

from __future__ import annotations

import hashlib
import shutil
from dataclasses import dataclass
from pathlib import Path

from govlake.register import Register, RegisterError
from govlake.settings import PROJECT_ROOT
from govlake.transform import sources

SOURCE_DIR = PROJECT_ROOT / "dbt_project"  # the hand-written project, in version control
PARTS = ("dbt_project.yml", "profiles.yml", "models", "macros", "seeds", "tests")
# Python the models import: part of the fingerprint (incremental models keep the logic their
# rows were built with, so a change to it must force a full build).
MODEL_MODULES = (PROJECT_ROOT / "src" / "govlake" / "transform" / "suppression.py",)


@dataclass(frozen=True)
class Project:
    """An assembled project: where it is, what it holds, and a fingerprint of all of it."""

    path: Path
    files: dict[str, bytes]  # path relative to the project → content
    generated: frozenset[str]  # the paths rendered from the register

    @property
    def fingerprint(self) -> str:
        digest = hashlib.sha256()
        named = [(rel, self.files[rel]) for rel in sorted(self.files)]
        named += [(f"govlake/transform/{m.name}", m.read_bytes()) for m in MODEL_MODULES]
        for rel, data in named:
            digest.update(f"{rel}\0".encode())
            digest.update(data)
            digest.update(b"\0")
        return digest.hexdigest()


def hand_written() -> dict[str, bytes]:
    """The repository's dbt project files (no build outputs, no hidden files)."""
    out: dict[str, bytes] = {}
    for part in PARTS:
        top = SOURCE_DIR / part
        for path in sorted(top.rglob("*")) if top.is_dir() else [top]:
            rel = path.relative_to(SOURCE_DIR)
            hidden = any(x.startswith(".") or x == "__pycache__" for x in rel.parts)
            if path.is_file() and not hidden:
                out[rel.as_posix()] = path.read_bytes()
    return out


def _check_model_names(files: dict[str, bytes]) -> None:
    """dbt needs unique model names; a resource id may not reuse a hand-written model's."""
    seen: dict[str, str] = {}
    for rel in sorted(files):
        path = Path(rel)
        if path.parts[0] == "models" and path.suffix in (".sql", ".py"):
            if path.stem in seen:
                raise RegisterError(
                    f"dbt model name {path.stem!r} is used twice ({seen[path.stem]}, {rel}): "
                    "a resource id must not be the name of another model"
                )
            seen[path.stem] = rel


def render_project(register: Register, directory: Path) -> Project:
    """The project for ``register``, to be assembled in ``directory`` (nothing written yet)."""
    from govlake.catalogue.entries import rendered as catalogue_seeds

    files = hand_written()
    texts = sources.rendered(register) | catalogue_seeds(register, SOURCE_DIR)
    rendered = {rel: text.encode("utf-8") for rel, text in texts.items()}
    clash = sorted(set(files) & set(rendered))
    if clash:
        raise RuntimeError(
            f"dbt_project/ holds files the register renders (remove them): {', '.join(clash)}"
        )
    files |= rendered
    _check_model_names(files)
    return Project(directory, files, frozenset(rendered))


def assemble(proj: Project) -> list[str]:
    """Write the project to its folder: changed files only, stale ones removed; returns the
    paths written. dbt's own outputs (target, logs) are elsewhere and never touched."""
    written = []
    for rel, data in proj.files.items():
        target = proj.path / rel
        if target.is_file() and target.read_bytes() == data:
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        written.append(rel)
    for part in PARTS:
        top = proj.path / part
        for path in sorted(top.rglob("*"), reverse=True) if top.is_dir() else []:
            rel = path.relative_to(proj.path).as_posix()
            if path.is_file() and rel not in proj.files:
                path.unlink()
            elif path.is_dir() and not any(path.iterdir()):
                shutil.rmtree(path)
    return written
