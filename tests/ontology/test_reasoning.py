"""HermiT over the ontology and data: consistency, the defined classes, triples/inferred.ttl."""

from __future__ import annotations

import subprocess
import sys

import pytest
import rdflib
import rdflib.compare
from rdflib import RDF, Graph, URIRef

from idlib_kg import reasoning

from .conftest import (INFERRED, IKG, IKR, MINI, MINI_NS, REPO_ROOT, parse, skip_or_fail)

GAF_DENOTES = URIRef("http://groundedannotationframework.org/gaf#denotes")
SEM_HAS_ACTOR = URIRef("http://semanticweb.cs.vu.nl/2009/11/sem/hasActor")
SEM_EVENT = URIRef("http://semanticweb.cs.vu.nl/2009/11/sem/Event")
PROV_GENERATED = URIRef("http://www.w3.org/ns/prov#generated")


# --------------------------------------------------------------------------- consistency

def test_ontology_alone_is_consistent_with_no_unsatisfiable_class(reasoned_ontology):
    assert reasoned_ontology.unsatisfiable == []


def test_ontology_with_the_article_is_consistent(reasoned_article):
    assert reasoned_article.unsatisfiable == []


def test_inconsistent_data_is_reported_with_its_likely_cause(require_java, ontology_and_schemes):
    data = parse(MINI)
    data.add((MINI_NS.alphaland, RDF.type, IKG.MilitaryOrganization))  # a State is no military
    with pytest.raises(reasoning.InconsistentError) as err:
        reasoning.run_hermit(ontology_and_schemes, data)
    message = str(err.value)
    assert "inconsistent" in message
    assert str(MINI_NS.alphaland) in message
    assert str(IKG.State) in message and str(IKG.MilitaryOrganization) in message


def test_missing_java_gives_a_clear_error(monkeypatch):
    import owlready2

    monkeypatch.setattr(reasoning.shutil, "which", lambda name: None)
    monkeypatch.setattr(owlready2, "JAVA_EXE", "java-that-does-not-exist")
    with pytest.raises(reasoning.ReasoningError, match="Java is not installed"):
        reasoning._require_java()


# --------------------------------------------------------------------------- defined classes (hand-made graph)

@pytest.mark.parametrize("cls", [IKG.AttackByStateForces, IKG.AttackOnStateForces, IKG.InterStateAttack,
                                 IKG.AttackOnCivilians, IKG.CeasefireViolation, SEM_EVENT],
                         ids=lambda c: c.split("/")[-1])
def test_an_airstrike_by_one_states_forces_on_anothers_and_on_villagers_is_classified(reasoned_mini, cls):
    assert cls in reasoned_mini.types[MINI_NS.strike]


def test_a_statement_that_denies_someone_a_role_is_a_denial(reasoned_mini):
    assert IKG.Denial in reasoned_mini.types[MINI_NS["statement-1"]]
    assert IKG.Denial not in reasoned_mini.types[MINI_NS["report-1"]]
    # negated, but denying no one's part in an event (CAMEO 016 is "deny responsibility")
    assert IKG.Denial not in reasoned_mini.types[MINI_NS["statement-2"]]


def test_a_stance_value_of_the_wrong_dimension_is_inconsistent(ontology_and_schemes):
    mini = parse(MINI)
    mini.add((MINI_NS["claim-2"], IKG.certainty, IKG.Favourable))
    with pytest.raises(reasoning.ReasoningError, match="inconsistent"):
        reasoning.run_hermit(ontology_and_schemes, mini)


@pytest.mark.parametrize("mistake", [
    ("strike", "target", "statement-1"),       # an event as a target would become an actor
    ("strike", "affectedGroup", "gamma-ministry"),  # a ministry as a population group
    ("strike", "target", "time-1"),             # a time as an actor
], ids=lambda m: f"{m[0]}-{m[1]}-{m[2]}")
def test_a_value_on_the_wrong_side_of_a_domain_or_range_is_inconsistent_not_retyped(ontology_and_schemes, mistake):
    """The disjointness of SEM's event, actor and time and of the kinds of agent: without it,
    HermiT quietly made the statement an actor, the ministry a population group."""
    subject, prop, value = mistake
    mini = parse(MINI)
    mini.add((MINI_NS[subject], IKG[prop], MINI_NS[value]))
    with pytest.raises(reasoning.ReasoningError, match="inconsistent"):
        reasoning.run_hermit(ontology_and_schemes, mini)


def test_an_organisation_as_a_tenure_holder_is_inconsistent_not_made_a_person(ontology_and_schemes):
    mini = parse(MINI)
    mini.add((MINI_NS["agency"], RDF.type, URIRef("http://www.w3.org/ns/prov#Organization")))
    mini.add((MINI_NS["tenure"], IKG.holder, MINI_NS["agency"]))  # ikg:holder's range is prov:Person
    with pytest.raises(reasoning.ReasoningError, match="inconsistent"):
        reasoning.run_hermit(ontology_and_schemes, mini)


def test_two_values_of_a_functional_property_are_a_clash_not_a_merge(ontology_and_schemes):
    """Each data IRI is a thing of its own (owl:AllDifferent): without it HermiT took Alphaland
    and Betastan for one state when one government was said to be the government of both."""
    mini = parse(MINI)
    mini.add((MINI_NS["gov"], RDF.type, IKG.Government))
    mini.add((MINI_NS["gov"], IKG.governmentOf, MINI_NS["alphaland"]))
    mini.add((MINI_NS["gov"], IKG.governmentOf, MINI_NS["betastan"]))
    with pytest.raises(reasoning.ReasoningError, match="inconsistent"):
        reasoning.run_hermit(ontology_and_schemes, mini)


def test_a_supporter_is_a_backer_and_backs_the_supported_side(reasoned_mini):
    assert IKG.Backer in reasoned_mini.types[MINI_NS["gamma-ministry"]]
    assert (MINI_NS["gamma-ministry"], IKG.backs, MINI_NS.alphaland) in reasoned_mini.relations
    assert IKG.Backer not in reasoned_mini.types[MINI_NS.alphaland]


def test_claims_in_tension_are_both_contested(reasoned_mini):
    assert IKG.ContestedClaim in reasoned_mini.types[MINI_NS["claim-1"]]
    assert IKG.ContestedClaim in reasoned_mini.types[MINI_NS["claim-2"]]


def test_a_claimed_perpetrator_is_not_a_participant(reasoned_mini):
    """The denied role (gamma as perpetrator) never becomes sem:hasActor of the strike."""
    assert (MINI_NS.strike, SEM_HAS_ACTOR, MINI_NS["gamma-ministry"]) not in reasoned_mini.relations
    assert (MINI_NS.strike, SEM_HAS_ACTOR, MINI_NS["alpha-army"]) in reasoned_mini.relations


def test_inferences_leave_out_asserted_triples_and_gaf_denotes(reasoned_mini):
    g = reasoning.compute_inferences(reasoned=reasoned_mini)
    assert len(g) > 0
    asserted = parse(MINI)
    assert not [t for t in g if t in asserted]
    assert not list(g.triples((None, GAF_DENOTES, None)))
    assert (MINI_NS["statement-1"], PROV_GENERATED, MINI_NS["claim-1"]) in g
    assert (MINI_NS["statement-1"], RDF.type, IKG.Denial) in g


def test_inferred_turtle_is_deterministic_and_round_trips(reasoned_mini):
    g = reasoning.compute_inferences(reasoned=reasoned_mini)
    text = reasoning.serialize_inferred(g)
    assert text == reasoning.serialize_inferred(reasoning.compute_inferences(reasoned=reasoned_mini))
    assert text.startswith("# GENERATED FILE: do not edit by hand.")
    assert "idlib-kg reason" in text.splitlines()[1]
    back = Graph().parse(data=text, format="turtle")
    assert rdflib.compare.isomorphic(back, g)


# --------------------------------------------------------------------------- the article

ARTICLE_EXPECTATIONS = [
    ("statement-russian-defence-ministry", IKG.Denial),
    ("attack-2020-02-27", IKG.AttackOnStateForces),
    ("russia", IKG.Backer),
    ("russian-airstrikes-2020", IKG.AttackByStateForces),
    ("ceasefire-violations", IKG.CeasefireViolation),
    ("claim-mod-russian-planes-did-not-strike", IKG.ContestedClaim),
]


@pytest.mark.parametrize("name,cls", ARTICLE_EXPECTATIONS, ids=lambda x: x if isinstance(x, str) else x.fragment)
def test_the_reasoner_classifies_the_articles_resources(reasoned_article, name, cls):
    assert IKR[name] in reasoned_article.individuals, f"ikr:{name} is not in the article"
    assert cls in reasoned_article.types[IKR[name]]


def test_attacks_whose_perpetrators_only_daily_sabah_names_get_no_plain_perpetrator_class(reasoned_article):
    """S17: "civilians have been killed in attacks by the regime and Russian forces" is Daily
    Sabah's attribution (a claim), and the civilians were killed, not said to be targeted."""
    zone = IKR["attacks-in-de-escalation-zone"]
    assert not reasoned_article.types[zone] & {IKG.AttackByStateForces, IKG.AttackOnCivilians}
    actors = {o for s, p, o in reasoned_article.relations if s == zone and p == SEM_HAS_ACTOR}
    assert not actors & {IKR["russian-military"], IKR["syrian-government"], IKR["civilians-killed-since-2018"]}


def test_russia_backs_the_syrian_government(reasoned_article):
    assert (IKR.russia, IKG.backs, IKR["syrian-government"]) in reasoned_article.relations


def test_the_denied_russian_role_in_the_27_february_attack_is_no_participation(reasoned_article):
    actors = {o for s, p, o in reasoned_article.relations if s == IKR["attack-2020-02-27"] and p == SEM_HAS_ACTOR}
    russian = {IKR.russia, IKR["russian-military"], IKR["russian-planes"], IKR["russian-defence-ministry"]}
    assert not actors & russian, f"a denied role became a plain participant: {actors & russian}"


def test_the_27_february_attack_is_not_attributed_to_state_forces_as_fact(reasoned_article):
    """Its perpetrator is contested (Daily Sabah says the regime, Russia denies its part)."""
    assert IKG.InterStateAttack not in reasoned_article.types[IKR["attack-2020-02-27"]]


def _run_reason(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "idlib_kg", "reason", *args], cwd=REPO_ROOT,
                          capture_output=True, text=True, timeout=300)


def test_reason_check_passes_on_the_committed_inferred_file(require_java, article):
    if not INFERRED.is_file():
        skip_or_fail("triples/inferred.ttl is missing: run `idlib-kg reason` and commit it")
    proc = _run_reason("--check")
    assert proc.returncode == 0, proc.stderr


def test_reason_check_fails_on_a_stale_file(require_java, article, tmp_path):
    stale = tmp_path / "inferred.ttl"
    stale.write_text("# stale\n", encoding="utf-8")
    proc = _run_reason("--check", "--output", str(stale))
    assert proc.returncode == 1
    assert "out of date" in proc.stderr
    assert stale.read_text(encoding="utf-8") == "# stale\n"


def test_reason_output_into_a_missing_directory_is_created_and_a_directory_is_exit_2(require_java, article,
                                                                                    tmp_path):
    written = tmp_path / "new" / "inferred.ttl"
    proc = _run_reason("--output", str(written))
    assert proc.returncode == 0, proc.stderr
    assert written.read_text(encoding="utf-8") == INFERRED.read_text(encoding="utf-8")
    proc = _run_reason("--output", str(tmp_path))
    assert proc.returncode == 2 and "cannot write" in proc.stderr and "Traceback" not in proc.stderr
