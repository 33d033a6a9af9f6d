"""The namespaces the project speaks, in one table.

Serializers, the documentation and the query page each show a different selection of prefixes
(the data needs no `sd:`, the Service Description no `cameo:`), so each module picks its own with
`prefixes(...)`, in the order it wants them written; the IRIs themselves are written only here.
"""

from __future__ import annotations

NAMESPACES: dict[str, str] = {
    # minted by the project
    "ikg": "https://w3id.org/idlib-kg/ontology#",
    "ikr": "https://w3id.org/idlib-kg/id/",
    "cameo": "https://w3id.org/idlib-kg/scheme/cameo/",
    "acled": "https://w3id.org/idlib-kg/scheme/acled/",
    "role": "https://w3id.org/idlib-kg/scheme/role/",
    "act": "https://w3id.org/idlib-kg/scheme/act/",
    # W3C and the other vocabularies reused
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "dcterms": "http://purl.org/dc/terms/",
    "vann": "http://purl.org/vocab/vann/",
    "prov": "http://www.w3.org/ns/prov#",
    "time": "http://www.w3.org/2006/time#",
    "geo": "http://www.opengis.net/ont/geosparql#",
    "sem": "http://semanticweb.cs.vu.nl/2009/11/sem/",
    "nif": "http://persistence.uni-leipzig.org/nlp2rdf/ontologies/nif-core#",
    "gaf": "http://groundedannotationframework.org/gaf#",
    "oa": "http://www.w3.org/ns/oa#",
    "org": "http://www.w3.org/ns/org#",
    "schema": "https://schema.org/",
    "sd": "http://www.w3.org/ns/sparql-service-description#",
    "void": "http://rdfs.org/ns/void#",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "wd": "http://www.wikidata.org/entity/",
}


#: the properties that link our resources and terms to Wikidata, by their local names: owl:sameAs
#: for identity, and the SKOS mapping properties (links check, the pages, VoID's linksets)
WIKIDATA_LINKS: dict[str, str] = {
    "sameAs": NAMESPACES["owl"] + "sameAs",
    **{m: NAMESPACES["skos"] + m for m in ("exactMatch", "closeMatch", "broadMatch", "narrowMatch", "relatedMatch")},
}


def prefixes(*names: str) -> dict[str, str]:
    """prefix -> namespace IRI for the given prefixes, in the order given."""
    return {name: NAMESPACES[name] for name in names}
