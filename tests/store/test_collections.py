"""The collections tables on both engines: a reader's lists, their papers and notes,
ownership, and what deleting an account or forgetting personal data removes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from paperfeed.store import PaperStore
from tests.community.conftest import fill_papers, new_account

AT = datetime(2026, 3, 14, 12, tzinfo=UTC)


def test_a_list_is_created_once_per_name_and_counts_its_papers(store: PaperStore) -> None:
    fill_papers(store)
    ada = new_account(store, "ada")
    made = store.create_collection(ada.id, "Reading group", "reading group", public=False, at=AT)
    assert made is not None and made.papers == 0 and made.owner_name == "ada"
    assert (
        store.create_collection(ada.id, "READING group", "reading group", public=True, at=AT)
        is None
    )
    added = store.add_to_collection(
        made.id, [("2603.01001", "read first"), ("2603.01002", ""), ("2603.09999", "")], AT
    )
    assert added == 2  # the unknown paper is skipped
    assert store.add_to_collection(made.id, [("2603.01001", "")], AT) == 0
    entries = store.collection_entries(made.id, limit=10)
    assert {e.paper_id: e.note for e in entries} == {"2603.01001": "read first", "2603.01002": ""}
    assert store.collection(made.id).papers == 2  # type: ignore[union-attr]
    assert store.collections_holding(ada.id, ["2603.01001", "2603.01003"]) == {
        "2603.01001": {made.id}
    }


def test_notes_change_and_papers_leave(store: PaperStore) -> None:
    fill_papers(store)
    ada = new_account(store, "ada")
    made = store.create_collection(ada.id, "To read", "to read", public=False, at=AT)
    assert made is not None
    store.add_to_collection(made.id, [("2603.01001", "")], AT)
    store.add_to_collection(made.id, [("2603.01003", "")], AT + timedelta(minutes=1))
    assert [e.paper_id for e in store.collection_entries(made.id, limit=10)] == [
        "2603.01003",
        "2603.01001",
    ]
    assert store.set_collection_note(made.id, "2603.01001", "<b>skim</b>")
    store.add_to_collection(made.id, [("2603.01001", "")], AT)  # an empty note keeps it
    assert store.collection_entries(made.id, limit=10)[1].note == "<b>skim</b>"
    assert store.remove_from_collection(made.id, "2603.01001")
    assert not store.remove_from_collection(made.id, "2603.01001")
    assert not store.set_collection_note(made.id, "2603.01001", "gone")


def test_only_the_owner_changes_or_deletes_a_list(store: PaperStore) -> None:
    fill_papers(store)
    ada, bob = new_account(store, "ada"), new_account(store, "bob")
    made = store.create_collection(ada.id, "Mine", "mine", public=False, at=AT)
    assert made is not None
    changes = {"name": "Ours", "name_key": "ours", "description": "", "public": True, "at": AT}
    assert not store.update_collection(made.id, bob.id, **changes)  # type: ignore[arg-type]
    assert not store.delete_collection(made.id, bob.id)
    assert store.update_collection(made.id, ada.id, **changes)  # type: ignore[arg-type]
    found = store.collection_named(ada.id, "ours")
    assert found is not None and found.public and found.name == "Ours"
    assert store.delete_collection(made.id, ada.id)
    assert store.collection(made.id) is None and store.collections_of(ada.id) == []


def test_deleting_the_account_or_its_personal_data_removes_its_lists(store: PaperStore) -> None:
    fill_papers(store)
    ada, bob = new_account(store, "ada"), new_account(store, "bob")
    for account in (ada, bob):
        made = store.create_collection(account.id, "List", "list", public=True, at=AT)
        assert made is not None
        store.add_to_collection(made.id, [("2603.01001", "note")], AT)
    store.forget_personal_data(ada.id)
    assert store.collections_of(ada.id) == []
    assert store.delete_account(bob.id)
    assert store.collections_of(bob.id) == []
    assert store.collections_holding(bob.id, ["2603.01001"]) == {}
