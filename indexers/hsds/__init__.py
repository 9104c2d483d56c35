"""Open Referral HSDS 3.0 input: `spec` (the HSDS objects, validated), `read` (JSON and
tabular forms), `convert` (a service as listing records), `taxonomy` (the taxonomy map)."""
