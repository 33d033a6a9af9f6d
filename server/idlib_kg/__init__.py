"""idlib-kg: a knowledge graph of one article, its ontology, and a SPARQL 1.1 endpoint."""

__version__ = "0.1.0"
