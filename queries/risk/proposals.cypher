// The stored proposals (yellow and red items, random picks among them) with their reasons, for the
// effectiveness of profiles, lanes and random picks.
MATCH (d:Declaration)
WHERE d.lane IS NOT NULL
RETURN d.key AS key, d.selected_at_random AS random, d.assessment_reasons AS reasons
