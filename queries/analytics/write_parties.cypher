// Scoring results per party, one batch of $rows: entity, group, community, risk, reasons, phoenix,
// links to the nearest offender (null beyond graph.pipeline.profile_context.MAX_HOPS);
// a full run's score replaces a provisional one (intake.write_provisional), so the flag is cleared.
// mode: write
UNWIND $rows AS r
MATCH (p:Party {key: r.key})
SET p.entity_id = r.entity_id, p.entity_confidence = r.entity_confidence, p.group_id = r.group_id,
    p.community_id = r.community_id, p.risk_score = r.risk_score, p.risk_rank = r.risk_rank,
    p.risk_reasons = r.risk_reasons, p.phoenix_of = r.phoenix_of, p.phoenix_score = r.phoenix_score,
    p.offender_hops = r.offender_hops,
    p.scored_at = r.scored_at, p.risk_provisional = null, p.provisional_at = null
RETURN count(p) AS n
