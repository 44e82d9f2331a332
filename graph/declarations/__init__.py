"""Declaration analytics: goods codes and unit values, HS switches, cover items, the assessment model,
the audit plan. They read the frames and the network's party risk, never the store."""
