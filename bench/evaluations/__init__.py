"""Offline evaluations on outside data and simulated worlds (KCS, cover items, AMLSim/KEK patterns).

Run by the scripts in bench/ and by tests/bench; they use the product's own functions."""
