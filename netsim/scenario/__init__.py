"""Stage 1, the scenario: a YAML file -> a checked, immutable model (model), read and
cross-checked by load (which calls into netsim.space for orbit checks), with bundled
station sets (stations) and traffic generators expanded (traffic)."""
