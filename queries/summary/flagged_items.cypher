// The item summary (graph.pipeline.item_summary): the store's mutable state of the items a scoring run
// flagged (the lane it proposed, whether a random pick, the reasons naming the profiles that fired)
// or found undervalued (the duties at stake); every other item's columns come from the ledger.
MATCH (d:Declaration)
WHERE d.lane IS NOT NULL OR d.uv_duties_at_stake IS NOT NULL
RETURN d.key AS key, d.lane AS lane, d.selected_at_random AS random, d.assessment_reasons AS reasons,
       d.uv_duties_at_stake AS uv
