"""The docs stay true: the README's commands, every setting, every command."""

from __future__ import annotations

import re
from pathlib import Path

import click

from paperfeed.cli import main
from paperfeed.config import SETTINGS, settings_table

ROOT = Path(__file__).parents[2]


def test_readme_quick_start_is_what_make_and_ci_run() -> None:
    readme = (ROOT / "README.md").read_text()
    quick_start = readme.split("## Quick start: two commands", 1)[1].split("##", 1)[0]
    commands = re.findall(r"^make (\w+)$", quick_start, flags=re.MULTILINE)
    assert commands == ["run", "test"]
    makefile = (ROOT / "Makefile").read_text()
    for target in commands:
        assert re.search(rf"^{target}:", makefile, flags=re.MULTILINE), target
    ci = (ROOT / ".ci" / "run").read_text()
    assert re.search(r"^make test\b", ci, flags=re.MULTILINE)


def test_every_setting_is_documented() -> None:
    """docs/configuration.md holds the table the settings list makes (scripts/gen_docs.py)."""
    doc = (ROOT / "docs" / "configuration.md").read_text()
    assert settings_table() in doc
    for setting in SETTINGS:
        assert setting.help.endswith(".")


def _command_paths(group: click.Group, prefix: str = "paperfeed") -> list[str]:
    """Every command under ``group``, those loaded only when they run included."""
    ctx = click.Context(group)
    paths = []
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        path = f"{prefix} {name}"
        paths.append(path)
        if isinstance(command, click.Group):
            paths.extend(_command_paths(command, path))
    return paths


def test_every_command_is_documented() -> None:
    doc = (ROOT / "docs" / "cli.md").read_text()
    for path in _command_paths(main):
        assert f"`{path}" in doc, path
