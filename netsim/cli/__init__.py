"""The `netsim` command: one module per subcommand group (main: run and paths;
link_budget, analyze, sweep), each importing its stage only when it runs."""
