"""netstack-tui: step a packet through a simulated Linux network stack."""

__version__ = "0.1.0"
