"""Stage 5, routing: next hops toward every destination from the links that are up
(solver, on the C++ core's NextHopSolver) and the paths they give (paths)."""
