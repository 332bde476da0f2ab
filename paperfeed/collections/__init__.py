"""Collections: a reader's named lists of papers, private or public, with a note per
paper. The reader's saves are the default list ("Saved"), kept where saves always were
(see docs/decisions/0014-collections.md)."""
