"""The layout rules a newcomer relies on (issue 17), checked so they cannot drift.

- `arrears/` keeps few top-level modules: each capability has its own package.
- No module in `arrears/` is over ~500 lines, none in `workflows/`
  over ~400, unless its first lines say why (a line starting "# Size:").
"""

from arrears import PROJECT_ROOT

LIMITS = {"arrears": 520, "workflows": 420}
MAX_TOP_LEVEL_MODULES = 10


def _over_limit() -> list[str]:
    found = []
    for folder, limit in LIMITS.items():
        for path in sorted((PROJECT_ROOT / folder).rglob("*.py")):
            lines = path.read_text(encoding="utf-8").splitlines()
            if len(lines) <= limit:
                continue
            head = "\n".join(lines[:15])
            if "# Size:" not in head:
                found.append(f"{path.relative_to(PROJECT_ROOT)}: {len(lines)} lines (limit {limit}, no '# Size:' reason)")
    return found


def test_no_module_is_over_its_size_limit_without_a_reason() -> None:
    assert _over_limit() == []


def test_arrears_keeps_few_top_level_modules() -> None:
    modules = sorted(p.name for p in (PROJECT_ROOT / "arrears").glob("*.py"))
    assert len(modules) <= MAX_TOP_LEVEL_MODULES, modules


def test_every_package_folder_is_a_package() -> None:
    """A folder of modules without __init__.py would be a namespace package by accident."""
    missing = [str(d.relative_to(PROJECT_ROOT)) for base in ("arrears", "workflows", "activities")
               for d in (PROJECT_ROOT / base).rglob("*") if d.is_dir() and any(d.glob("*.py"))
               and not (d / "__init__.py").exists() and "__pycache__" not in d.parts]
    assert missing == []

