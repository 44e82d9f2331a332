// Trader categories, one batch of $rows (entity, month, category, score, reasons): append-only, so a
// month already stored for an entity keeps its first category (MERGE ... ON CREATE).
// mode: write
UNWIND $rows AS r
MERGE (c:TraderCategory {key: r.key})
ON CREATE SET c.entity = r.entity, c.month = r.month, c.category = r.category, c.score = r.score,
              c.reasons = r.reasons, c.scored_at = r.scored_at
RETURN count(c) AS n
