"""Ingest of a small hand-written bundle into a real Grafeo store on disk: exact counts,
idempotency, BundleError before any write, quarantine of bad rows, formats (CSV, CSV.gz, Parquet)."""

from __future__ import annotations

import csv
import gzip
import json
import types
from datetime import date
from pathlib import Path

import pytest

from graph.domain import schema
from graph.ledger import Ledger
from graph.store import GraphStore
from ingest.load import count_graph, ingest_bundle, last_reports, store_status
from ingest.validate import BundleError

PARTIES = [
    ["party_id", "name", "kind", "country", "tax_id", "registered_on", "deregistered_on", "address", "phone",
     "email", "bank_account", "licence_no"],
    ["P1", "ООО «Восток Трейд»", "company", "UZ", "301 234 567", "2019-03-01", "",
     "г. Ташкент, ул. Навои, д. 12, кв. 5",
     "8 (90) 123-45-67", "Info@Vostok.uz", "UZ12 3456", "L-77"],
    ["P2", "OOO Vostok Treyd", "company", "UZ", "301-234-567", "2023-01-10", "",
     "Tashkent sh., Navoi ko'chasi 12, apt 5",
     "+998901234567", "", "", ""],
    ["P3", "Silk Road Logistics LLC", "company", "KZ", "", "", "", "", "8 701 123 4567", "ops@silkroad.kz",
     "", ""],
    ["P4", "Ivanov Ivan", "person", "KZ", "", "", "", "", "", "", "", ""],
]
DECLARATIONS = [
    ["declaration_id", "item_no", "date", "regime", "customs_office", "border_post", "declarant_id",
     "consignee_id",
     "consignor_id", "carrier_id", "broker_id", "vehicle_id", "transport_mode", "hs_code",
     "goods_description",
     "origin_country", "dispatch_country", "destination_country", "transit_countries", "net_mass_kg",
     "gross_mass_kg", "quantity", "quantity_unit", "customs_value", "currency", "duty_rate", "duty_amount",
     "channel", "inspection_result", "container_no"],
    # declaration D1 has two items; same route; vehicle plate written two ways
    ["D1", "1", "2025-03-14", "IM40", "UZ-01", "Yallama", "P1", "P1", "P3", "P3", "", "01 A 123 BC", "road",
     "71080", "gold", "CN", "KZ", "UZ", "KZ", "10.5", "11", "10", "kg", "1000", "USD", "5", "50", "red",
     "violation", "C1"],
    ["D1", "2", "2025-03-14", "IM40", "UZ-01", "Yallama", "P1", "P1", "P3", "P3", "", "01A123BC", "road",
     "8471300000", "laptops", "CN", "KZ", "UZ", "KZ", "100", "120", "20", "pcs", "20000", "usd", "0", "0",
     "green", "", ""],
    ["D2", "", "2025-04-01", "IM40", "UZ-01", "Gisht Kuprik", "P2", "P2", "", "", "P4", "", "rail",
     "847130", "laptops", "CN", "CN", "UZ", "", "50", "", "", "", "9000", "", "", "", "", "clear", ""],
]
OFFICERS = [
    ["company_id", "person_id", "person_name", "role", "share_pct", "since", "until"],
    ["P1", "X1", "Каримов Алишер", "director", "", "2019-03-01", "2022-12-31"],
    ["P2", "X1", "Karimov Alisher", "founder", "100", "2023-01-10", ""],
]
OFFENCES = [
    ["offence_id", "date", "party_id", "declaration_id", "offence_type", "declared_hs_code", "actual_hs_code",
     "evaded_amount", "status"],
    ["O1", "2025-05-01", "P1", "D1", "misclassification", "847130", "71080", "12000", "confirmed"],
]

# Expected graph for the bundle above (source "customs").
EXPECTED_NODES = {
    "Party": 4, "Person": 1, "Declaration": 3, "Offence": 1,
    # tax id shared by P1/P2; phone shared by P1/P2 (+998901234567) and P3's; address shared P1/P2
    "TaxId": 1, "Phone": 2, "Email": 2, "Address": 1, "BankAccount": 1,
    # 071080 -> 0710 -> 07; 8471300000 -> 847130 -> 8471 -> 84
    "HSCode": 7,
    # CN|KZ|KZ|UZ|Yallama|road and CN|CN||UZ|Gisht Kuprik|rail
    "Route": 2, "Country": 3, "Vehicle": 1,
}
EXPECTED_RELS = {
    "DECLARED_BY": 3, "CONSIGNED_TO": 3, "CONSIGNED_BY": 2, "CARRIED_BY": 2, "BROKERED_BY": 1,
    "CLASSIFIED_AS": 3, "PART_OF": 5, "ON_ROUTE": 3, "TRANSPORTED_BY": 2,
    # route 1: origin CN, dispatch KZ, transit KZ, destination UZ; route 2: origin CN, dispatch CN, dest UZ
    "ROUTE_COUNTRY": 7,
    "OFFICER_OF": 2, "HAS_TAX_ID": 2, "HAS_BANK_ACCOUNT": 1, "HAS_PHONE": 3, "HAS_EMAIL": 2, "HAS_ADDRESS": 2,
    "COMMITTED_BY": 1, "CONCERNS": 2, "DECLARED_AS": 1, "FOUND_AS": 1,
}


def write_csv(path: Path, rows: list[list[str]], *, gz: bool = False) -> Path:
    if gz:
        path = path.with_suffix(".csv.gz")
        with gzip.open(path, "wt", encoding="utf-8", newline="") as f:
            csv.writer(f).writerows(rows)
    else:
        with path.open("w", encoding="utf-8", newline="") as f:
            csv.writer(f).writerows(rows)
    return path


def make_bundle(folder: Path, *, fmt: str = "csv", declarations=None, parties=None,
                officers=None, offences=None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    files = {"parties": parties or PARTIES, "declarations": declarations or DECLARATIONS,
             "officers": officers or OFFICERS, "offences": offences or OFFENCES}
    for name, rows in files.items():
        if fmt == "parquet":
            import pyarrow as pa
            import pyarrow.parquet as pq

            header, body = rows[0], rows[1:]
            table = pa.table({h: [r[i] if r[i] != "" else None for r in body] for i, h in enumerate(header)})
            pq.write_table(table, folder / f"{name}.parquet")
        else:
            write_csv(folder / f"{name}.csv", rows, gz=fmt == "csv.gz")
    return folder


def graph_counts(store) -> tuple[dict[str, int], dict[str, int]]:
    nodes, rels = count_graph(store)
    nodes.pop("IngestRun")  # one per run by design: the run log, not the data
    return ({k: v for k, v in nodes.items() if v}, {k: v for k, v in rels.items() if v})


def test_small_bundle_exact_counts_and_properties(tmp_path, settings, grafeo_store):
    bundle = make_bundle(tmp_path / "b")
    rep = ingest_bundle(grafeo_store, bundle, settings=settings, progress=False)
    nodes, rels = graph_counts(grafeo_store)
    assert nodes == EXPECTED_NODES
    assert rels == EXPECTED_RELS
    assert rep.status == "done", rep.summary()
    assert rep.files["declarations"].read == 3 and rep.files["declarations"].loaded == 3
    assert rep.files["parties"].loaded == 4

    d = grafeo_store.execute("MATCH (d:Declaration {key: 'customs:D1/1'}) RETURN d {.*} AS d")[0]["d"]
    assert d["declaration_key"] == "customs:D1" and d["hs_code"] == "071080" and d["item_no"] == 1
    assert d["date"] == date(2025, 3, 14) and d["net_mass_kg"] == 10.5
    assert "currency" not in d  # the ledger's alone (graph.domain.schema.DECLARATION_ON_GRAPH)
    assert json.loads(d["extra"]) == {"container_no": "C1"}
    d2 = grafeo_store.execute("MATCH (d:Declaration {key: 'customs:D2/1'}) RETURN d {.*} AS d")[0]["d"]
    assert d2["inspection_result"] == "clear" and "extra" not in d2
    led = Ledger.of(settings).current("declarations", ["key", "currency"]).to_pydict()
    assert dict(zip(led["key"], led["currency"], strict=True))["customs:D2/1"] == "USD"
    p = grafeo_store.execute("MATCH (p:Party {key: 'customs:P1'}) RETURN p {.*} AS p")[0]["p"]
    assert p["name_norm"] == "vostok treid" and p["tax_id_norm"] == "301234567"
    assert json.loads(p["extra"]) == {"licence_no": "L-77"}
    p2 = grafeo_store.execute("MATCH (p:Party {key: 'customs:P2'}) RETURN p.name_norm AS n")[0]["n"]
    assert p2 == "vostok treid"
    shared = grafeo_store.execute(
        "MATCH (a:Party {key: 'customs:P1'})-[:HAS_PHONE]->(ph:Phone)<-[:HAS_PHONE]-(b:Party) "
        "RETURN ph.key AS k, b.key AS b")
    assert shared == [{"k": "+998901234567", "b": "customs:P2"}]
    route = grafeo_store.execute(
        "MATCH (d:Declaration {key: 'customs:D1/1'})-[:ON_ROUTE]->(r:Route)-[x:ROUTE_COUNTRY]->(c:Country) "
        "RETURN r.key AS route, x.role AS role, x.order AS o, c.key AS c ORDER BY o")
    assert route[0]["route"] == "CN|KZ|KZ|UZ|Yallama|road"
    assert [(r["role"], r["c"]) for r in route] == [("origin", "CN"), ("dispatch", "KZ"), ("transit", "KZ"),
                                                   ("destination", "UZ")]
    chain = grafeo_store.execute(
        "MATCH (:HSCode {key: '071080'})-[:PART_OF]->(h:HSCode)-[:PART_OF]->(c:HSCode) "
        "RETURN h.key AS h, h.level AS hl, c.key AS c, c.level AS cl")
    assert chain == [{"h": "0710", "hl": "heading", "c": "07", "cl": "chapter"}]
    off = grafeo_store.execute(
        "MATCH (o:Offence)-[:CONCERNS]->(d:Declaration) RETURN d.key AS k ORDER BY k")
    assert [r["k"] for r in off] == ["customs:D1/1", "customs:D1/2"]

    # report on disk and in the store
    assert Path(rep.report_path).exists()
    assert (settings.reports_dir / f"ingest-{rep.run_id}.txt").read_text().startswith("Ingest")
    last = last_reports(grafeo_store)
    assert last[0]["run_id"] == rep.run_id and last[0]["files"]["declarations"]["loaded"] == 3
    st = store_status(grafeo_store)
    assert st["nodes"]["Declaration"] == 3 and st["relationships"]["CLASSIFIED_AS"] == 3
    assert st["last_ingest"]["run_id"] == rep.run_id


def test_twice_same_counts(tmp_path, settings, grafeo_store):
    bundle = make_bundle(tmp_path / "b")
    ingest_bundle(grafeo_store, bundle, settings=settings, progress=False)
    first = graph_counts(grafeo_store)
    rep2 = ingest_bundle(grafeo_store, bundle, settings=settings, progress=False)
    assert graph_counts(grafeo_store) == first
    assert rep2.files["declarations"].existing == 3 and rep2.files["declarations"].loaded == 0
    assert len(last_reports(grafeo_store)) == 2


def test_portable_cypher_path_gives_the_same_graph(tmp_path, settings, grafeo_store):
    """The base-class path (the named query, as Neo4j runs it) against Grafeo's native bulk path."""
    grafeo_store.create_linked_nodes = types.MethodType(GraphStore.create_linked_nodes, grafeo_store)
    ingest_bundle(grafeo_store, make_bundle(tmp_path / "b"), settings=settings, progress=False)
    assert graph_counts(grafeo_store) == (EXPECTED_NODES, EXPECTED_RELS)


def test_a_failing_write_stops_the_load_and_is_reported(tmp_path, settings, grafeo_store):
    """Items are written on a writer thread: its error reaches the caller, the run is recorded as
    failed, and a second run completes the bundle to the counts of one clean run."""
    from graph.store import StoreError

    def broken(*a, **k):
        raise StoreError("disk full (simulated)")

    grafeo_store.create_linked_nodes = broken
    with pytest.raises(StoreError, match="disk full"):
        ingest_bundle(grafeo_store, make_bundle(tmp_path / "b"), settings=settings, progress=False)
    (failed,) = settings.reports_dir.glob("ingest-*.json")  # the one run so far
    assert json.loads(failed.read_text())["status"] == "failed"
    del grafeo_store.create_linked_nodes
    rep = ingest_bundle(grafeo_store, make_bundle(tmp_path / "b"), settings=settings, progress=False)
    assert rep.status == "done" and rep.files["declarations"].loaded == 3
    assert graph_counts(grafeo_store) == (EXPECTED_NODES, EXPECTED_RELS)


@pytest.mark.parametrize("fmt", ["csv.gz", "parquet"])
def test_formats_give_same_counts(tmp_path, settings, grafeo_store, fmt):
    bundle = make_bundle(tmp_path / "b", fmt=fmt)
    rep = ingest_bundle(grafeo_store, bundle, settings=settings, progress=False)
    assert rep.status == "done", rep.summary()
    assert graph_counts(grafeo_store) == (EXPECTED_NODES, EXPECTED_RELS)


def test_missing_required_column_raises_before_writing(tmp_path, settings, grafeo_store):
    decl = [[c for c in row if True] for row in DECLARATIONS]
    i = decl[0].index("hs_code")
    decl = [r[:i] + r[i + 1:] for r in decl]
    bundle = make_bundle(tmp_path / "b", declarations=decl)
    with pytest.raises(BundleError) as e:
        ingest_bundle(grafeo_store, bundle, settings=settings, progress=False)
    assert e.value.file == "declarations" and e.value.column == "hs_code"
    assert "hs_code" in str(e.value) and "declarations" in str(e.value)
    nodes, rels = count_graph(grafeo_store)
    assert sum(nodes.values()) == 0 and sum(rels.values()) == 0
    assert not settings.quarantine_dir.exists() or not any(settings.quarantine_dir.iterdir())


def test_missing_required_file_raises(tmp_path, settings, grafeo_store):
    bundle = make_bundle(tmp_path / "b")
    (bundle / "parties.csv").unlink()
    with pytest.raises(BundleError) as e:
        ingest_bundle(grafeo_store, bundle, settings=settings, progress=False)
    assert e.value.file == "parties"
    assert sum(count_graph(grafeo_store)[0].values()) == 0


def test_bad_rows_quarantined_exactly(tmp_path, settings, grafeo_store):
    header = DECLARATIONS[0]
    good = DECLARATIONS[1]

    def row(decl_id, **changes):
        r = list(good)
        r[header.index("declaration_id")] = decl_id
        for k, v in changes.items():
            r[header.index(k)] = v
        return r

    rows = [header,
            row("G1"),                                            # line 2: good
            row("B1", date="2025-13-45"),                         # line 3: bad date
            row("B2", net_mass_kg="-5"),                          # line 4: negative mass
            row("B3", consignor_id="NOPE"),                       # line 5: unknown party
            row("G2", goods_description="two\nlines"),            # lines 6-7: good, quoted newline
            row("B4", goods_description="BROKEN"),                # line 8: broken UTF-8 (patched below)
            row("B5", goods_description="x" * 1_000_000),         # line 9: 1 MB field
            row("G3")]                                            # line 10: good
    bundle = make_bundle(tmp_path / "b", declarations=rows, offences=[OFFENCES[0]])
    p = bundle / "declarations.csv"
    p.write_bytes(p.read_bytes().replace(b"BROKEN", b"bad \xff\xfe bytes"))

    rep = ingest_bundle(grafeo_store, bundle, settings=settings, progress=False)
    d = rep.files["declarations"]
    assert (d.read, d.loaded, d.quarantined) == (8, 3, 5)
    assert rep.status == "done" and rep.rows_quarantined
    recs = [json.loads(x) for x in Path(rep.quarantine_path).read_text().splitlines()]
    got = sorted((r["file"], r["line"], r["column"]) for r in recs)
    assert got == [("declarations", 3, "date"), ("declarations", 4, "net_mass_kg"),
                   ("declarations", 5, "consignor_id"), ("declarations", 8, "goods_description"),
                   ("declarations", 9, "goods_description")]
    reasons = {r["line"]: r["reason"] for r in recs}
    assert "ISO date" in reasons[3] and "below the minimum" in reasons[4]
    assert "unknown party id 'NOPE'" in reasons[5]
    assert "UTF-8" in reasons[8] and "exceeds the cap" in reasons[9]
    assert next(r for r in recs if r["line"] == 3)["raw"]["declaration_id"] == "B1"
    assert (Path(rep.quarantine_path).parent / "quarantine.csv").read_text().count("declarations,") == 5
    keys = [r["k"] for r in grafeo_store.execute("MATCH (d:Declaration) RETURN d.key AS k ORDER BY k")]
    assert keys == ["customs:G1/1", "customs:G2/1", "customs:G3/1"]
    desc = grafeo_store.execute("MATCH (d:Declaration {key: 'customs:G2/1'}) RETURN d.goods_description AS g")
    assert desc[0]["g"] == "two\nlines"


def test_the_reader_process_loads_exactly_what_the_loader_reads_itself(tmp_path, settings, grafeo_store,
                                                                       monkeypatch):
    """Big files are read in a spawned reader process: forced here for every file, the same bundle
    with bad rows gives the same graph, report and quarantine as reading in process."""
    import ingest.load.reader

    bundle = make_bundle(tmp_path / "b", declarations=[
        *DECLARATIONS, ["D3", "1", "2025-13-45", *DECLARATIONS[1][3:]],
        ["D4", "1", *DECLARATIONS[1][2:6], "NOPE",
                                                                         *DECLARATIONS[1][7:]]])
    here = ingest_bundle(grafeo_store, bundle, settings=settings, progress=False)
    counts = graph_counts(grafeo_store)
    first = [json.loads(x) for x in Path(here.quarantine_path).read_text().splitlines()]

    monkeypatch.setattr(ingest.load.reader, "READER_PROCESS_MIN_BYTES", 0)
    s2 = settings.model_copy(update={"data_dir": tmp_path / "other"})
    from graph.store import open_store
    with open_store(s2) as other:
        there = ingest_bundle(other, bundle, settings=s2, progress=False)
        assert graph_counts(other) == counts
    assert [json.loads(x) for x in Path(there.quarantine_path).read_text().splitlines()] == first
    assert [(r["line"], r["column"]) for r in first] == [(5, "date"), (6, "declarant_id")]
    assert {k: vars(v) for k, v in there.files.items()} == {k: vars(v) for k, v in here.files.items()}
    assert there.reader_peak_rss_mb > 0 and here.reader_peak_rss_mb == 0  # it did run in its own process


def test_a_reader_process_error_is_raised_as_in_process(tmp_path, settings, grafeo_store, monkeypatch):
    """A file that breaks mid-way (a truncated .csv.gz) fails the same way whichever process reads it."""
    import ingest.load.reader

    bundle = make_bundle(tmp_path / "b", fmt="csv.gz")
    gz = bundle / "declarations.csv.gz"
    gz.write_bytes(gz.read_bytes()[:-12])  # header readable, the end of the stream gone
    errors = []
    for threshold in (2**60, 0):
        monkeypatch.setattr(ingest.load.reader, "READER_PROCESS_MIN_BYTES", threshold)
        with pytest.raises(Exception) as e:
            ingest_bundle(grafeo_store, bundle, settings=settings, progress=False)
        errors.append((type(e.value), str(e.value)))
    assert errors[0] == errors[1] and errors[0][0] is EOFError


def test_unknown_party_may_exist_in_store(tmp_path, settings, grafeo_store):
    """Ids must exist in parties.csv or already in the store (an earlier bundle of the source)."""
    ingest_bundle(grafeo_store, make_bundle(tmp_path / "a"), settings=settings, progress=False)
    later = [DECLARATIONS[0], [*DECLARATIONS[3][:1], "1", *DECLARATIONS[3][2:]]]
    later[1][0] = "D9"
    b = make_bundle(tmp_path / "b", parties=[PARTIES[0], PARTIES[4]], declarations=later,
                    officers=[OFFICERS[0]], offences=[OFFENCES[0]])
    rep = ingest_bundle(grafeo_store, b, settings=settings, progress=False)
    assert rep.files["declarations"].loaded == 1 and rep.files["declarations"].quarantined == 0


def test_duplicates_and_unknown_references_quarantined(tmp_path, settings, grafeo_store):
    parties = [*PARTIES, ["P1", "Another name", "company", "UZ", "", "", "", "", "", "", "", ""]]
    officers = [*OFFICERS, ["P404", "X2", "Nobody", "director", "", "", ""]]
    offences = [*OFFENCES, ["O2", "2025-05-02", "P404", "", "other", "", "", "", ""],
                ["O1", "2025-05-01", "P1", "D1", "other", "", "", "", ""]]
    declarations = [*DECLARATIONS, DECLARATIONS[1]]
    bundle = make_bundle(tmp_path / "b", parties=parties, officers=officers, offences=offences,
                         declarations=declarations)
    rep = ingest_bundle(grafeo_store, bundle, settings=settings, progress=False)
    recs = [json.loads(x) for x in Path(rep.quarantine_path).read_text().splitlines()]
    got = sorted((r["file"], r["line"], r["column"], r["reason"]) for r in recs)
    assert got == [
        ("declarations", 5, "item_no", "duplicate item D1/1 in the bundle"),
        ("offences", 3, "party_id", "unknown party id 'P404'"),
        ("offences", 4, "offence_id", "duplicate offence_id (first at line 2)"),
        ("officers", 4, "company_id", "unknown party id 'P404'"),
        ("parties", 6, "party_id", "duplicate party_id (first at line 2)"),
    ]
    assert graph_counts(grafeo_store) == (EXPECTED_NODES, EXPECTED_RELS)
    name = grafeo_store.execute("MATCH (p:Party {key: 'customs:P1'}) RETURN p.name AS n")[0]["n"]
    assert name == "ООО «Восток Трейд»"  # the first record wins, the duplicate is not merged over it


def test_simulated_world_loads_without_quarantine(small_world, settings, grafeo_store):
    """The simulator writes the contract: every row of its bundle loads."""
    rep = ingest_bundle(grafeo_store, small_world, settings=settings, progress=False)
    assert rep.rows_quarantined == 0, rep.summary()
    nodes, _ = count_graph(grafeo_store)
    with (small_world / "declarations.csv").open(encoding="utf-8") as f:
        n_rows = sum(1 for _ in csv.reader(f)) - 1
    assert nodes["Declaration"] == rep.files["declarations"].loaded == n_rows
    assert nodes["Party"] == rep.files["parties"].loaded


def test_counts_and_idempotency_on_any_store(tmp_path, settings, any_store):
    """The same bundle on Grafeo and, when NEO4J_URI is set, on Neo4j (portable query path)."""
    bundle = make_bundle(tmp_path / "b")
    ingest_bundle(any_store, bundle, settings=settings, progress=False)
    assert graph_counts(any_store) == (EXPECTED_NODES, EXPECTED_RELS)
    ingest_bundle(any_store, bundle, settings=settings, progress=False)
    assert graph_counts(any_store) == (EXPECTED_NODES, EXPECTED_RELS)


def test_status_queries_cover_the_schema():
    """count_graph reads one column per label / type: the (generated) queries list them all."""
    import queries

    nodes_q, rels_q = queries.get("status.count_nodes"), queries.get("status.count_relationships")
    assert all(f"COUNT {{ MATCH (:{n.label}) }} AS {n.label}" in nodes_q for n in schema.NODES)
    assert all(f"COUNT {{ MATCH ()-[:{r.type}]->() }} AS {r.type}" in rels_q for r in schema.RELS)
    assert nodes_q.count("COUNT { MATCH") == len(schema.NODES)
    assert rels_q.count("COUNT { MATCH") == len(schema.RELS)


def test_bulk_load_defers_then_restores_checkpoints(tmp_path, settings, grafeo_store):
    """Grafeo's automatic checkpoints are off during an ingest, back on after it, WAL folded."""
    db = grafeo_store._db
    assert db.checkpoint_status()["wal_bytes"] == settings.checkpoint_wal_bytes
    with grafeo_store.bulk_load():
        assert db.checkpoint_status()["wal_bytes"] is None
        ingest_bundle(grafeo_store, make_bundle(tmp_path / "b"), settings=settings, progress=False)
        assert db.checkpoint_status()["wal_bytes"] is None  # nested blocks: the outermost decides
        assert db.wal_status()["record_count"] > 0
    assert db.checkpoint_status()["wal_bytes"] == settings.checkpoint_wal_bytes
    assert db.checkpoint_status()["interval_secs"] == settings.checkpoint_interval_s
    assert db.wal_status()["record_count"] == 0  # folded into the file at the end of the block
