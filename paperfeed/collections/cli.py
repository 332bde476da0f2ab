"""``paperfeed collections``: a reader's lists from the command line (operators and
scripts). The account of the address is created if missing."""

from __future__ import annotations

from pathlib import Path

import click

from paperfeed.cli_context import PaperfeedGroup, app_context, db_option, print_json
from paperfeed.collections.errors import CollectionNotFound
from paperfeed.personal.cli import library_format_option
from paperfeed.personal.library_import import MAX_BYTES
from paperfeed.store import PaperStore
from paperfeed.store.collections import Collection

EXPORT_FORMATS = ("bibtex", "ris", "csl-json", "text")


def _reader(email: str) -> tuple[PaperStore, int]:
    from paperfeed.personal.readers import reader_account

    store = app_context().store()
    return store, reader_account(store, email)


def _list_json(collection: Collection) -> dict[str, object]:
    return {
        "id": collection.id,
        "name": collection.name,
        "public": collection.public,
        "papers": collection.papers,
        "description": collection.description,
    }


@click.group("collections", cls=PaperfeedGroup)
def collections() -> None:
    """A reader's named lists of papers (their saves are the default list, "Saved")."""


@collections.command("list")
@click.argument("email")
@click.option("--json", "as_json", is_flag=True, help="Print the lists as JSON.")
@db_option
def list_command(email: str, as_json: bool) -> None:
    """The reader's lists: id, visibility, papers, name."""
    store, account = _reader(email)
    found = store.collections_of(account)
    if as_json:
        print_json([_list_json(c) for c in found])
        return
    for c in found:
        click.echo(f"{c.id:>6}  {'public ' if c.public else 'private'}  {c.papers:>5}  {c.name}")


@collections.command("add")
@click.argument("email")
@click.argument("name")
@click.argument("paper_ids", nargs=-1, required=True)
@click.option("--note", default="", help="A note on each paper added.")
@click.option("--public", is_flag=True, help="Make a new list public.")
@db_option
def add_command(email: str, name: str, paper_ids: tuple[str, ...], note: str, public: bool) -> None:
    """Add papers to the reader's list NAME (a name or id), created if missing."""
    from paperfeed.collections.lists import add_papers, create_list, known_papers, own_list

    store, account = _reader(email)
    known_papers(store, paper_ids)  # before a new list is made
    try:
        target = own_list(store, account, name)
    except CollectionNotFound:
        target = create_list(store, account, name, public=public)
    added = add_papers(store, target, [(paper_id, note) for paper_id in paper_ids])
    click.echo(f"added {added} of {len(paper_ids)} papers to “{target.name}” (list {target.id})")


@collections.command("import")
@click.argument("email")
@click.argument("name")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@library_format_option
@db_option
def import_command(email: str, name: str, file: Path, library_format: str) -> None:
    """Add the papers of a BibTeX, RIS, CSL-JSON or id-list file to the list NAME
    (created if missing); a file that cannot be read whole changes nothing."""
    from paperfeed.collections.lists import create_list, own_list, read_seed, seed_list

    store, account = _reader(email)
    with file.open("rb") as handle:
        data = handle.read(MAX_BYTES + 1)
    matched = read_seed(store, data, library_format)
    try:
        target = own_list(store, account, name)
    except CollectionNotFound:
        target = create_list(store, account, name)
    result = seed_list(store, target, matched)
    click.echo(
        f"matched {result.matched} papers, {result.added} new in “{target.name}”;"
        f" {len(result.unmatched)} entries not found"
    )


@collections.command("remove")
@click.argument("email")
@click.argument("name")
@click.argument("paper_ids", nargs=-1, required=True)
@db_option
def remove_command(email: str, name: str, paper_ids: tuple[str, ...]) -> None:
    """Take papers out of the reader's list NAME."""
    from paperfeed.collections.lists import canonical_paper, own_list

    store, account = _reader(email)
    target = own_list(store, account, name)
    removed = sum(
        store.remove_from_collection(target.id, canonical_paper(paper_id)) for paper_id in paper_ids
    )
    click.echo(f"removed {removed} papers from “{target.name}”")


@collections.command("export")
@click.argument("email")
@click.argument("name")
@click.option(
    "--format",
    "format_name",
    type=click.Choice(EXPORT_FORMATS),
    default="bibtex",
    show_default=True,
    help="bibtex, ris, csl-json, or text (an APA-style reference).",
)
@db_option
def export_command(email: str, name: str, format_name: str) -> None:
    """Print the papers of the reader's list NAME as citations."""
    from paperfeed.citations import cite
    from paperfeed.collections.lists import listed_papers, own_list

    store, account = _reader(email)
    target = own_list(store, account, name)
    papers = [entry.paper for entry in listed_papers(store, target)]
    click.echo(cite(papers, format_name), nl=False)


@collections.command("delete")
@click.argument("email")
@click.argument("name")
@db_option
def delete_command(email: str, name: str) -> None:
    """Delete the reader's list NAME and its notes (their saves stay)."""
    from paperfeed.collections.lists import own_list

    store, account = _reader(email)
    target = own_list(store, account, name)
    store.delete_collection(target.id, account)
    click.echo(f"deleted “{target.name}”")
