"""BibTeX entries, written by bibtexparser from fields made safe by ``tex``.

Every paper is an ``@misc`` entry with arXiv's eprint fields (``eprint``,
``archivePrefix``, ``primaryClass``), which natbib, biblatex and arXiv's own export
use; a DOI and a journal reference are added when arXiv knows them.
"""

from __future__ import annotations

from collections.abc import Sequence

from bibtexparser.entrypoint import write_string
from bibtexparser.library import Library
from bibtexparser.middlewares import AddEnclosingMiddleware
from bibtexparser.model import Entry, Field
from bibtexparser.writer import BibtexFormat

from paperfeed.citations.names import PersonName
from paperfeed.citations.record import Citable
from paperfeed.citations.tex import bibtex_text, bibtex_title

MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_AND = " and "


def _name_part(text: str) -> str:
    """A name part BibTeX keeps whole: braced when a comma or "and" would split it."""
    value = bibtex_text(text)
    lowered = f" {text.lower()} "
    return "{" + value + "}" if "," in text or _AND in lowered else value


def bibtex_name(name: PersonName) -> str:
    """``von Last, Jr, First`` (or a braced literal), the form BibTeX never misreads."""
    if name.literal:
        return "{" + bibtex_text(name.literal) + "}"
    last = " ".join(filter(None, [bibtex_text(name.particle), _name_part(name.family)]))
    parts = [last]
    if name.suffix:
        parts.append(_name_part(name.suffix))
    if name.given or name.suffix:
        parts.append(_name_part(name.given))
    return ", ".join(parts)


def _fields(citable: Citable) -> list[Field]:
    fields = [Field("title", bibtex_title(citable.title_latex))]
    if citable.authors:
        fields.insert(0, Field("author", _AND.join(bibtex_name(a) for a in citable.authors)))
    if citable.year:
        fields.append(Field("year", str(citable.year)))
    if citable.issued:
        fields.append(Field("month", MONTHS[citable.issued.month - 1], enclosing="no-enclosing"))
    fields += [
        Field("eprint", citable.arxiv_id),
        Field("archivePrefix", "arXiv"),
    ]
    if citable.primary_category:
        fields.append(Field("primaryClass", bibtex_text(citable.primary_category)))
    if citable.doi:
        fields.append(Field("doi", bibtex_text(citable.doi)))
    if citable.journal_ref:
        fields.append(Field("note", bibtex_text(citable.journal_ref)))
    fields.append(Field("url", citable.url))
    return fields


def write_bibtex(citables: Sequence[Citable]) -> str:
    """A ``.bib`` file of ``citables``, one ``@misc`` entry each."""
    library = Library([Entry("misc", c.key, _fields(c)) for c in citables])
    layout = BibtexFormat()  # type: ignore[no-untyped-call]
    layout.indent = "  "
    layout.block_separator = "\n"
    enclose = AddEnclosingMiddleware(
        allow_inplace_modification=True,
        default_enclosing="{",
        reuse_previous_enclosing=True,
        enclose_integers=True,
    )
    return write_string(library, unparse_stack=[enclose], bibtex_format=layout)
