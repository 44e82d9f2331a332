"""The tables the analytics read: the graph as a few pandas DataFrames with string keys.

Algorithms are pure functions on these frames and on the integer-id CSR built from them
(`graph.csr`); only `Frames.from_store` touches a store, through named queries in
`queries/analytics/`. Keys are the store's node keys (`graph.schema`): parties `source:party_id`,
declaration items `source:declaration_id/item_no`, identifiers their normalised value.

Columns (every frame has at least these; missing values are NaN / None):

- declarations: key, declaration_key, declaration_id, item_no, date (datetime64), regime,
  hs_code (str, digits), customs_value, currency, net_mass_kg, gross_mass_kg, quantity, duty_rate,
  duty_amount, origin_country, dispatch_country, destination_country, transit_countries,
  border_post, transport_mode, channel, inspection_result, route (Route key), vehicle (Vehicle key),
  declarant, consignee, consignor, carrier, broker (Party keys)
- parties: key, party_id, source, name, name_norm, kind, country, tax_id_norm, registered_on,
  deregistered_on (datetime64)
- officers: person (Person key), person_name, company (Party key), role, share_pct, since, until
- identifiers: party (Party key), label (TaxId, BankAccount, Phone, Email, Address), value (node key)
- offences: key, offence_id, date, party (Party key), declaration_key, offence_type,
  declared_hs_code, actual_hs_code, evaded_amount, status
- decisions: kind, subject, object, value, user, at — live human decisions only (soft-deleted dropped)
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

ROLE_COLUMNS = ("declarant", "consignee", "consignor", "carrier", "broker")

COLUMNS: dict[str, tuple[str, ...]] = {
    "declarations": (
        "key", "declaration_key", "declaration_id", "item_no", "date", "regime", "hs_code", "customs_value",
        "currency", "net_mass_kg", "gross_mass_kg", "quantity", "duty_rate", "duty_amount", "origin_country",
        "dispatch_country", "destination_country", "transit_countries", "border_post", "transport_mode",
        "channel", "inspection_result", "route", "vehicle", *ROLE_COLUMNS,
    ),
    "parties": ("key", "party_id", "source", "name", "name_norm", "kind", "country", "tax_id_norm",
                "registered_on", "deregistered_on"),
    "officers": ("person", "person_name", "company", "role", "share_pct", "since", "until"),
    "identifiers": ("party", "label", "value"),
    "offences": ("key", "offence_id", "date", "party", "declaration_key", "offence_type", "declared_hs_code",
                 "actual_hs_code", "evaded_amount", "status"),
    "decisions": ("kind", "subject", "object", "value", "user", "at"),
}


def empty(name: str) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="object") for c in COLUMNS[name]})


@dataclass
class Frames:
    declarations: pd.DataFrame = field(default_factory=lambda: empty("declarations"))
    parties: pd.DataFrame = field(default_factory=lambda: empty("parties"))
    officers: pd.DataFrame = field(default_factory=lambda: empty("officers"))
    identifiers: pd.DataFrame = field(default_factory=lambda: empty("identifiers"))
    offences: pd.DataFrame = field(default_factory=lambda: empty("offences"))
    decisions: pd.DataFrame = field(default_factory=lambda: empty("decisions"))
