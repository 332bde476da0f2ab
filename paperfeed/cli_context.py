"""What every ``paperfeed`` command shares: the resolved settings, a store opened on first
use, the ``--db`` option, and the command classes that turn paperfeed's errors into one
line and exit status 1.

A command group run on its own (outside ``paperfeed``) gets the same: settings from the
environment, and a store closed when the command ends.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click
import orjson

from paperfeed.config import SETTINGS_BY_NAME, Settings
from paperfeed.errors import PaperfeedError

if TYPE_CHECKING:
    from paperfeed.store import PaperStore

F = TypeVar("F", bound=Callable[..., Any])


class AppContext:
    """The resolved settings and a lazily opened store (``stats`` opens one, ``--help``
    none)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._store: PaperStore | None = None

    def store(self) -> PaperStore:
        if self._store is None:
            from paperfeed.store import open_store

            self._store = open_store(self.settings.database_url)
        return self._store

    def close(self) -> None:
        if self._store is not None:
            self._store.close()


def app_context(ctx: click.Context | None = None) -> AppContext:
    """The context the ``paperfeed`` group made, or one made here for a group run alone."""
    root = (ctx or click.get_current_context()).find_root()
    if not isinstance(root.obj, AppContext):
        try:
            settings = Settings()
        except PaperfeedError as exc:
            raise click.ClickException(str(exc)) from exc
        root.obj = AppContext(settings)
        root.call_on_close(root.obj.close)
    return root.obj


def setting_help(name: str) -> str:
    """An option's help from its setting, with the variable and the default."""
    setting = SETTINGS_BY_NAME[name]
    return f"{setting.help} [env: {setting.env}; default: {setting.default}]"


def db_option(func: F) -> F:
    """``--db URL`` on a command, so it can be written after the command's name too."""

    def remember(ctx: click.Context, _param: click.Parameter, value: str | None) -> None:
        if value is not None:
            app = app_context(ctx)
            app.settings = app.settings.with_values(database_url=value)

    return click.option(
        "--db",
        "database_url",
        metavar="URL",
        expose_value=False,
        callback=remember,
        help=setting_help("database_url"),
    )(func)


def print_json(data: Any) -> None:
    click.echo(orjson.dumps(data, option=orjson.OPT_INDENT_2).decode())


class PaperfeedCommand(click.Command):
    """Turns paperfeed's own errors into one line and exit status 1."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except PaperfeedError as exc:
            raise click.ClickException(str(exc)) from exc


class PaperfeedGroup(click.Group):
    """Turns paperfeed's own errors into one line and exit status 1, and imports a
    subcommand's module only when that subcommand runs (``lazy``: name to
    ``"module:attribute"``): the web app, the digest, the community and the ingest code
    are most of the start-up time of commands that use none of them."""

    command_class = PaperfeedCommand
    group_class = type  # subgroups made with ``@group.group()`` are PaperfeedGroups too

    def __init__(self, *args: Any, lazy: dict[str, str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy = dict(lazy or {})

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.lazy and cmd_name not in self.commands:
            module, _, attribute = self.lazy[cmd_name].partition(":")
            command = getattr(importlib.import_module(module), attribute)
            assert isinstance(command, click.Command), self.lazy[cmd_name]
            self.add_command(command, cmd_name)
        return super().get_command(ctx, cmd_name)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except PaperfeedError as exc:
            raise click.ClickException(str(exc)) from exc
