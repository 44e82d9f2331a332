// Risk-profile hits, one batch of $rows: per declaration item, the reasons of the profiles that fired
// on it (JSON), their ids (JSON) and the strictest of their actions.
// mode: write
UNWIND $rows AS r
MATCH (d:Declaration {key: r.key})
SET d.profile_hits = r.reasons, d.profile_ids = r.profiles, d.profile_action = r.action
RETURN count(d) AS n
