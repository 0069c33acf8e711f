"""The simulated Linux kernel: pure, deterministic, no UI imports."""
