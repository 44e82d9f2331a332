// Cases: append a note to a case.
// mode: write
MATCH (c:CaseFile {key: $key})
CREATE (n:CaseNote {key: $note_key, case_key: $key, user: $user, at: $at, text: $text})-[:NOTE_ON]->(c)
SET c.updated_at = $at
RETURN n {.*} AS note
