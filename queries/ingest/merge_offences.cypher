// Ingest: upsert offences (offences.csv), keyed source:offence_id.
// mode: write
UNWIND $rows AS r
MERGE (o:Offence {key: r.key})
SET o += r.props
