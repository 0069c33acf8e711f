"""Multi-namespace differential tests: topologies built by real command lines (see README)."""
