"""The points app: points accounts and the append-only ledger: earn by rule, redeem at a station."""
