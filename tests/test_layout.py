"""The README's "Indeling" is the tree: every path it names exists, and every module of
the core, the reporting layer and the developer tools, and everything directly in
``kpis/``, is named there."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LISTED_IN_FULL = ("kpis/core", "kpis/reporting", "kpis/dev")


def layout_block() -> str:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Indeling\n", 1)[1].split("\n## ", 1)[0]
    return section.split("```\n", 2)[1]


def named_paths(block: str) -> set[str]:
    """Paths the block names: entries at the start of a line (``kpis/core/``,
    ``kpis/x.py, y.py`` = two files in ``kpis/``) and files indented by two spaces under
    a folder entry (``  figures.py``). Longer indents continue a description."""
    paths, folder = set(), None
    for line in block.splitlines():
        indent = len(line) - len(line.lstrip(" "))
        entry = re.split(r"\s{2,}", line.strip(), maxsplit=1)[0]
        names = [name.strip() for name in entry.split(",") if name.strip()]
        if indent == 0 and names and all(re.fullmatch(r"[\w./-]+", n) for n in names):
            base = names[0].rpartition("/")[0] if "/" in names[0].rstrip("/") else ""
            for name in names:
                paths.add(name if "/" in name or not base else f"{base}/{name}")
            folder = names[0] if names[0].endswith("/") else None
        elif indent == 2 and folder and all(re.fullmatch(r"\w+\.\w+", n) for n in names):
            paths.update(folder + name for name in names)
    return {path.rstrip("/") for path in paths}


def test_every_path_the_layout_names_exists():
    paths = named_paths(layout_block())
    assert {"kpis/core", "kpis/reporting/figures.py", "kpis/core/cells.py"} <= paths
    assert sorted(path for path in paths if not (ROOT / path).exists()) == []


def test_every_module_of_the_layers_is_in_the_layout():
    paths, block = named_paths(layout_block()), layout_block()
    missing = [
        f"{folder}/{path.name}"
        for folder in LISTED_IN_FULL[:2]
        for path in sorted((ROOT / folder).glob("*.py*"))
        if path.name != "__init__.py" and f"{folder}/{path.name}" not in paths
    ]
    missing += [
        path.name
        for path in sorted((ROOT / "kpis").iterdir())
        if not path.name.startswith(("_", "."))
        and path.name != "migrations"
        and path.name not in block
    ]
    assert missing == []


def test_the_layout_reader_reads_folders_and_lists():
    block = "kpis/reporting/             de rapportage\n  figures.py   één declaratie\n"
    assert named_paths(block) == {"kpis/reporting", "kpis/reporting/figures.py"}
    assert named_paths("kpis/x.py, y.py    twee\n") == {"kpis/x.py", "kpis/y.py"}
