// Every stored trader category (entity, month, category, score, reasons), in entity and month order.
MATCH (c:TraderCategory)
RETURN c.entity AS entity, c.month AS month, c.category AS category, c.score AS score, c.reasons AS reasons
ORDER BY entity, month
