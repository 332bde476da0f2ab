"""``paperfeed serve``: the web app under uvicorn (http://127.0.0.1:8000 by default)."""

from __future__ import annotations

import copy
import os
from typing import Any

import click

from paperfeed.cli_context import app_context, db_option, setting_help
from paperfeed.config import SETTINGS, Settings


def log_config(level: str) -> dict[str, Any]:
    """uvicorn's logging, plus paperfeed's own messages (search start-up, digests) on
    the same stream at the same level."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config["loggers"]["paperfeed"] = {
        "handlers": ["default"],
        "level": level.upper(),
        "propagate": False,
    }
    return config


def app_from_environment() -> Any:
    """The app for each worker process (uvicorn's factory): settings come from the environment."""
    from paperfeed.web.app import create_app

    return create_app(Settings())


@click.command("serve")
@click.option("--host", help=setting_help("web_host"))
@click.option("--port", type=click.IntRange(0, 65535), help=setting_help("web_port"))
@click.option("--workers", type=click.IntRange(1, 64), help=setting_help("web_workers"))
@db_option
@click.option(
    "--log-level",
    type=click.Choice(["critical", "error", "warning", "info", "debug"]),
    default="info",
    show_default=True,
)
@click.option("--no-access-log", is_flag=True, help="Do not log every request.")
@click.pass_context
def serve(
    ctx: click.Context,
    host: str | None,
    port: int | None,
    workers: int | None,
    log_level: str,
    no_access_log: bool,
) -> None:
    """Serve the web pages, the JSON APIs and the feeds."""
    import uvicorn

    settings = app_context(ctx).settings.with_values(
        web_host=host, web_port=port, web_workers=workers
    )
    # Worker processes rebuild the app from the environment: hand them every resolved value.
    for setting in SETTINGS:
        value = settings.get(setting.name)
        if value not in (None, ""):
            os.environ[setting.env] = str(value)
    from paperfeed.derived import finish_in_background
    from paperfeed.store import open_store
    from paperfeed.store.sqlite.checkpointer import wal_checkpointing

    open_store(settings.database_url).close()  # migrate once, before any worker starts
    finish_in_background(settings)  # what a killed ingest left: indexes, signals, vectors
    trusted_proxies = [
        address.strip()
        for address in str(settings.get("web_trusted_proxies") or "").split(",")
        if address.strip()
    ]
    click.echo(
        f"paperfeed serving on http://{settings.get('web_host')}:{settings.get('web_port')}",
        err=True,
    )
    # A SQLite store's WAL is checkpointed by a process of its own while the server
    # runs, not inside the commits of votes and imports (docs/decisions/0006).
    with wal_checkpointing(settings.database_url):
        uvicorn.run(
            "paperfeed.web.cli:app_from_environment",
            factory=True,
            host=settings.get("web_host"),
            port=settings.get("web_port"),
            workers=settings.get("web_workers"),
            log_level=log_level,
            log_config=log_config(log_level),
            access_log=not no_access_log,
            server_header=False,
            # The client's address (per-IP rate limits) and scheme (Secure cookies) come
            # from X-Forwarded-* only when the peer is a proxy the settings name.
            proxy_headers=bool(trusted_proxies),
            forwarded_allow_ips=trusted_proxies or None,
            # After SIGTERM, requests still running (a client trickling its body, a
            # submission waiting on arXiv) get this long, then are cancelled.
            timeout_graceful_shutdown=max(0, int(settings.get("web_shutdown_grace"))),
        )
