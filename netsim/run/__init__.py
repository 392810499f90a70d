"""Stage 6, a run: the network's state over time (network_state), one packet-level run
(runner) with its traffic and tracing (traffic), routing alone (paths), and the run
folder's files (outputs)."""

