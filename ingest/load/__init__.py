"""Loading into the store: `ingest_bundle` (a bundle folder), `ingest_rows` (rows in memory, the
same path), and the status views `store_status`, `last_reports`, `count_graph`.

The package, in the order a run goes: `plan` (inputs checked before anything is written),
`reader` (read, map and validate a batch at a time, in a reader process for big files), `loader`
and `declarations` (the phases that write), `report`, `status`, and `run` (the entry points).

The order is parties (and their identifier nodes), officers, declarations, offences, so that
every reference points at something already stored. Everything goes through named queries in
`queries/ingest/` in client-side batches of `settings.batch_size` rows; declaration items go
through `store.create_linked_nodes`, whose portable form is the query
`ingest.create_declarations` and which Grafeo runs with its bulk calls (~1.4x faster, measured); the whole
load runs inside `store.bulk_load()` (Grafeo: automatic checkpoints deferred to its end).

Speed (1M rows, 2 cores: 9.1k declaration rows/s, 0.70 of what Grafeo's own batch calls reach with
the items prepared beforehand, see bench/bench_ingest.py): rows are validated a batch at a time,
column by column (`BatchValidator`); big files are read in a reader process; a writer thread stores
one batch while the next is built.

Idempotency and `kill -9`: parties, identifiers, codes, routes, officers and offences are MERGEd.
Declaration items, the bulk, are CREATEd for speed, but only for keys the store does not hold yet
(one lookup per batch; none when the store held no item as the run began, since keys are unique
within a bundle). A batch's items and their relationships are written in at most two
transactions (nodes, then all relationships with CLASSIFIED_AS among them); an item found without
its CLASSIFIED_AS (a run killed in between) is completed through the MERGE path
(`ingest.merge_declarations`). Re-running any bundle thus converges on the counts of one
uninterrupted run. IngestRun nodes are the exception by design: one per run, recorded at its
start as "running" and at its end as "done" or "failed", so that a killed run is visible
(`store_status()["interrupted_runs"]`) until a run of the same bundle completes it.

Bounds (settings `ingest_max_*`): what a file may hold is bounded while it is read (field, record,
rows, expanded text, compression ratio; `ingest.readers.ReadLimits`), the quarantine by a count
per run and a share per file; past them, or when nothing of a file loads, the run stops with
`IngestStopped` (bad input, exit 2) and is recorded as failed.
"""

from ingest.load.report import FileReport, IngestReport
from ingest.load.run import IngestCancelled, ingest_bundle, ingest_rows
from ingest.load.status import count_graph, interrupted_runs, last_reports, store_status
from ingest.validate import BundleError, IngestStopped

__all__ = ["BundleError", "FileReport", "IngestCancelled", "IngestReport", "IngestStopped", "count_graph",
           "ingest_bundle", "ingest_rows", "interrupted_runs", "last_reports", "store_status"]
