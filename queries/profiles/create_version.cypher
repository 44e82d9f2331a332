// Append one version of a risk profile (a new profile, a change or a retirement); earlier versions stay.
// mode: write
CREATE (p:RiskProfile {key: $key, profile_id: $profile_id, version: $version, name: $name, criteria: $criteria,
                       action: $action, reason: $reason, owner: $owner, valid_from: $valid_from,
                       valid_to: $valid_to, expected_rate: $expected_rate, retired: $retired,
                       created_by: $created_by, created_at: $created_at})
RETURN p {.*} AS profile
