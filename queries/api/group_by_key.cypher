// A linked group (shell-company network) by its key.
MATCH (g:Group {key: $key})
RETURN g {.*} AS group
