"""Citation keys: readable, stable, unique within one export."""

from __future__ import annotations

from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from paperfeed.citations import citables
from paperfeed.citations.keys import ascii_fold, base_key, unique_keys
from paperfeed.papers.model import Author
from tests.citations.conftest import stored_paper


def test_key_is_family_name_year_and_first_significant_title_word() -> None:
    [item] = citables([stored_paper()])
    assert item.key == "zhang2021revisiting"


def test_key_skips_stopwords_and_folds_accents() -> None:
    paper = stored_paper(
        title="On the Équivariance of Networks",
        authors=(Author(r"Patrick Forr\'e"),),
        published=date(2023, 5, 1),
    )
    assert citables([paper])[0].key == "forre2023equivariance"


def test_particles_do_not_lead_the_key() -> None:
    paper = stored_paper(authors=(Author("Johannes van der Waals"),))
    assert citables([paper])[0].key == "waals2021revisiting"


def test_names_without_latin_letters_fall_back_to_anon() -> None:
    paper = stored_paper(authors=(Author("张伟"),), title="深度学习")
    assert citables([paper])[0].key == "anon2021"


def test_year_comes_from_the_identifier_when_no_date_is_known() -> None:
    paper = stored_paper("hep-th/9108028", published=None, announced=None)
    assert citables([paper])[0].key == "zhang1991revisiting"


def test_clashing_keys_get_letters_in_identifier_order_whatever_the_input_order() -> None:
    papers = [stored_paper("2112.00003"), stored_paper("2112.00001"), stored_paper("2112.00002")]
    keys = [c.key for c in citables(papers)]
    assert keys == ["zhang2021revisitingc", "zhang2021revisitinga", "zhang2021revisitingb"]
    again = {c.arxiv_id: c.key for c in citables(list(reversed(papers)))}
    assert again == {c.arxiv_id: c.key for c in citables(papers)}


def test_a_paper_given_twice_is_cited_once() -> None:
    paper = stored_paper()
    assert [c.key for c in citables([paper, paper])] == ["zhang2021revisiting"]


def test_suffixes_never_collide_with_another_papers_key() -> None:
    keys = unique_keys([("1", "x2021a"), ("2", "x2021"), ("3", "x2021")])
    assert keys == ["x2021a", "x2021b", "x2021c"]


@given(st.lists(st.tuples(st.text(max_size=20), st.sampled_from(["a", "b", "ab", "a1"]))))
def test_unique_keys_are_unique(pairs: list[tuple[str, str]]) -> None:
    keys = unique_keys(pairs)
    assert len(keys) == len(pairs)
    assert len(set(keys)) == len(keys)


@given(st.text(), st.integers(1990, 2100) | st.none(), st.text())
def test_base_keys_are_plain_ascii(family: str, year: int | None, title: str) -> None:
    key = base_key(family, year, title)
    assert key and key.isascii() and key.isalnum() and key == key.lower()


def test_ascii_fold() -> None:
    assert ascii_fold("Łódź Straße Ærø") == "lodz strasse aero"
