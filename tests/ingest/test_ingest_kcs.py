"""The Korea Customs (KCS) synthetic declarations through the `kcs` mapping profile: all 54,000
rows load, parties are synthesised from the role ids, labels map onto inspection results."""

from __future__ import annotations

import json

from conftest import dataset

from ingest.load import count_graph, ingest_bundle


def test_kcs_loads_all_rows(settings, grafeo_store):
    folder = dataset("kcs", "df_syn_train_eng.csv").parent
    dataset("kcs", "df_syn_valid_eng.csv")
    dataset("kcs", "df_syn_test_eng.csv")
    rep = ingest_bundle(grafeo_store, folder, profile="kcs", settings=settings, progress=False)
    d = rep.files["declarations"]
    assert (d.read, d.loaded, d.quarantined) == (54_000, 54_000, 0), rep.summary()
    assert rep.source == "kcs" and rep.status == "done"
    assert d.paths == ["df_syn_train_eng.csv", "df_syn_valid_eng.csv", "df_syn_test_eng.csv"]
    nodes, rels = count_graph(grafeo_store)
    # published figures (SOURCE.txt / PUBLISHED_REFERENCE.json): ids are disjoint across roles
    assert nodes["Party"] == 1238 + 14482 + 12201 + 81
    assert nodes["Declaration"] == 54_000
    assert rels["DECLARED_BY"] == 54_000 and rels["CONSIGNED_TO"] == 54_000
    assert rels["CONSIGNED_BY"] == 54_000 - 5201 and rels["CARRIED_BY"] == 9538
    assert rels["CLASSIFIED_AS"] == 54_000 and rels["ON_ROUTE"] == 54_000

    fraud = grafeo_store.execute(
        "MATCH (d:Declaration) RETURN d.inspection_result AS r, count(*) AS n ORDER BY r")
    assert {r["r"]: r["n"] for r in fraud} == {"clear": 42347, "violation": 11653}
    # leading zero restored: the published top code "71080" is 071080 (959 rows)
    hs = grafeo_store.execute("MATCH (d:Declaration)-[:CLASSIFIED_AS]->(h:HSCode {key: '071080'}) "
                              "RETURN count(d) AS n")
    assert hs[0]["n"] == 959
    # the route's columns live on the Route (graph.domain.schema): one hop away
    modes = grafeo_store.execute("MATCH (d:Declaration)-[:ON_ROUTE]->(rt:Route) "
                                 "RETURN rt.transport_mode AS m, count(*) AS n ORDER BY m")
    assert {r["m"]: r["n"] for r in modes} == {"sea": 30729, "air": 22064, "post": 886, "road": 186,
                                               "other": 122, "rail": 13}
    one = grafeo_store.execute("MATCH (d:Declaration {key: 'kcs:97061800/1'})-[:DECLARED_BY]->(p:Party) "
                               "MATCH (d)-[:ON_ROUTE]->(rt:Route) "
                               "RETURN d {.*} AS d, rt {.*} AS rt, p.key AS p, p.name AS name")[0]
    assert one["p"] == "kcs:ZZR1LT6" and one["name"] == "ZZR1LT6"
    assert one["d"]["hs_code"] == "440890" and one["rt"]["destination_country"] == "KR"
    assert one["d"]["customs_value"] == 372254.4 and one["rt"]["dispatch_country"] == "BE"
    assert json.loads(one["d"]["extra"]) == {"Process Type": "B", "Import Use": "21", "Payment Type": "11",
                                             "Tax Type": "FEU1", "Country of Origin Indicator": "G",
                                             "Critical Fraud": "0"}
