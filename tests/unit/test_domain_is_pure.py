"""The domain does no I/O: every module under arrears/domain is read as source and checked.

Workflows run domain code in the sandbox and tests run it without services, so a
rule that reached for a file, a database or a client would break replay or need
a fixture. Reading strategy files and presets is arrears.config's; the record is
arrears.db's; talking to Temporal is the runtime's and the activities'.
"""

import ast
from pathlib import Path

import pytest

from arrears import PROJECT_ROOT

DOMAIN = PROJECT_ROOT / "arrears" / "domain"

# Modules (and their submodules) the domain must not import.
FORBIDDEN_MODULES = (
    # the record and other systems
    "sqlalchemy", "alembic", "psycopg", "psycopg2", "sqlite3", "httpx", "requests", "urllib.request", "socket",
    "smtplib", "temporalio.client", "temporalio.activity", "temporalio.worker", "temporalio.testing",
    # the file system and the process
    "os", "pathlib", "shutil", "tempfile", "glob", "io", "subprocess", "importlib.resources",
    # file formats: decoding a file is part of loading it (arrears.config)
    "yaml", "tomllib", "csv",
    # the project's I/O layers
    "arrears.db", "arrears.runtime", "arrears.config", "arrears.api", "arrears.cli", "arrears.client",
    "arrears.console", "arrears.channels", "arrears.demo", "arrears.intake", "activities", "workflows",
)
# Calls that read or write outside the process, wherever the name came from.
FORBIDDEN_CALLS = {"open", "input", "read_text", "read_bytes", "write_text", "write_bytes", "iterdir", "glob", "rglob"}

# What a module may do anyway, and why. bounds reads tzdata's zone.tab once at import: reference
# data of the Python install (as babel's CLDR tables are), so validators only look names up.
ALLOWED: dict[str, set[str]] = {
    "bounds.py": {"pathlib", "read_text"},
}


def _modules() -> list[Path]:
    return sorted(DOMAIN.rglob("*.py"))


def _imported(tree: ast.Module, path: Path) -> set[str]:
    names: set[str] = set()
    package = ".".join(path.relative_to(PROJECT_ROOT).with_suffix("").parts[:-1])
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{parent}.{base}" if base else parent
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


def _called(tree: ast.Module) -> set[str]:
    calls: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            if isinstance(node.func, ast.Name):
                calls.add(node.func.id)
            elif isinstance(node.func, ast.Attribute):
                calls.add(node.func.attr)
    return calls


def _forbidden(name: str) -> str | None:
    for banned in FORBIDDEN_MODULES:
        if name == banned or name.startswith(banned + "."):
            return banned
    return None


def test_the_domain_has_modules_to_check():
    assert len(_modules()) > 20


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(DOMAIN)))
def test_domain_module_does_no_io(path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    allowed = ALLOWED.get(str(path.relative_to(DOMAIN)), set())
    imports = sorted({banned for name in _imported(tree, path) if (banned := _forbidden(name)) and banned not in allowed})
    calls = sorted((_called(tree) & FORBIDDEN_CALLS) - allowed)
    assert not imports, f"{path.name} imports an I/O layer: {', '.join(imports)}"
    assert not calls, f"{path.name} reads or writes outside the process: {', '.join(calls)}()"


def test_the_checker_catches_what_it_should(tmp_path: Path):
    source = "import os\nfrom arrears.db.models import Account\nfrom ...config import strategies\nopen('x')\nPath('y').read_text()\n"
    tree = ast.parse(source)
    fake = DOMAIN / "strategy" / "fake.py"
    banned = {b for name in _imported(tree, fake) if (b := _forbidden(name))}
    assert banned == {"os", "arrears.db", "arrears.config"}
    assert _called(tree) & FORBIDDEN_CALLS == {"open", "read_text"}
