"""The README's architecture tree and the docs' links cannot drift from the repository.

The tree is the fenced code block under "## Architecture" in README.md: one
line per folder or file, nested with box-drawing characters. Every path it
names must exist, and every package under arrears/ (a folder with
__init__.py) must be named in it. Every relative link in README.md,
CONTRIBUTING.md and docs/*.md must point to a file that exists.
"""

import re
from pathlib import Path

import pytest

from arrears import PROJECT_ROOT

README = PROJECT_ROOT / "README.md"
TREE_PREFIX = "│├└─ \u00a0"
LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)|!\[[^\]]*\]\(([^)\s]+)\)")


def architecture_block(text: str) -> list[str]:
    """The lines of the first fenced block after the Architecture heading."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if re.match(r"^##\s+Architecture\b", line))
    opening = next(i for i in range(start + 1, len(lines)) if lines[i].startswith("```"))
    closing = next(i for i in range(opening + 1, len(lines)) if lines[i].startswith("```"))
    return lines[opening + 1:closing]


def tree_paths(block: list[str]) -> list[str]:
    """Each line's name, joined to its parents by the depth of its tree prefix (4 columns a level)."""
    paths: list[str] = []
    parents: list[str] = []
    for line in block:
        if not line.strip():
            continue
        name_at = len(line) - len(line.lstrip(TREE_PREFIX))
        name = line[name_at:].split()[0]
        depth = name_at // 4
        assert name_at % 4 == 0, f"tree line not aligned to 4 columns: {line!r}"
        assert depth <= len(parents), f"tree line nested under nothing: {line!r}"
        parents = parents[:depth]
        path = "".join(parents) + name
        paths.append(path)
        if name.endswith("/"):
            parents.append(name)
    return paths


def test_the_tree_parser_reads_nesting():
    block = ["a/          x", "├── b/      y", "│   └── c.py  z", "└── d/      w", "e.py        v"]
    assert tree_paths(block) == ["a/", "a/b/", "a/b/c.py", "a/d/", "e.py"]


def test_every_path_in_the_readme_tree_exists():
    paths = tree_paths(architecture_block(README.read_text(encoding="utf-8")))
    assert paths, "the Architecture section has no tree"
    missing = [p for p in paths if not (PROJECT_ROOT / p).exists()]
    assert not missing, f"README's architecture tree names paths that do not exist: {missing}"
    wrong_kind = [p for p in paths if p.endswith("/") != (PROJECT_ROOT / p).is_dir()]
    assert not wrong_kind, f"a folder written without '/' or a file with it: {wrong_kind}"


def test_every_arrears_package_is_in_the_readme_tree():
    named = set(tree_paths(architecture_block(README.read_text(encoding="utf-8"))))
    packages = sorted(
        init.parent.relative_to(PROJECT_ROOT).as_posix() + "/"
        for init in (PROJECT_ROOT / "arrears").rglob("__init__.py")
        if init.parent != PROJECT_ROOT / "arrears"
    )
    assert packages, "no packages found under arrears/"
    unnamed = [p for p in packages if p not in named]
    assert not unnamed, f"packages missing from README's architecture tree: {unnamed}"


def markdown_files() -> list[Path]:
    files = [README, PROJECT_ROOT / "CONTRIBUTING.md", *sorted((PROJECT_ROOT / "docs").glob("*.md"))]
    return [f for f in files if f.exists()]


def relative_links(text: str) -> list[str]:
    found = []
    in_fence = False
    for line in text.splitlines():
        if line.lstrip().startswith("```"):
            in_fence = not in_fence
            continue
        if in_fence:
            continue
        for match in LINK.finditer(re.sub(r"`[^`]*`", "", line)):
            target = match.group(1) or match.group(2)
            if re.match(r"^[a-z][a-z0-9+.-]*:", target) or target.startswith("#"):
                continue  # http(s):, mailto:, and links within the page
            found.append(target)
    return found


def test_the_link_finder_skips_code_and_urls():
    text = "see [a](docs/a.md#x), ![i](img/p.png), [u](https://x.org), [h](#here), `[c](no.md)`\n```\n[f](no.md)\n```"
    assert relative_links(text) == ["docs/a.md#x", "img/p.png"]


@pytest.mark.parametrize("path", markdown_files(), ids=lambda p: p.relative_to(PROJECT_ROOT).as_posix())
def test_relative_links_point_to_files(path: Path):
    broken = []
    for target in relative_links(path.read_text(encoding="utf-8")):
        file_part = target.split("#", 1)[0]
        if file_part and not (path.parent / file_part).exists():
            broken.append(target)
    assert not broken, f"{path.relative_to(PROJECT_ROOT)}: links to missing files: {broken}"
