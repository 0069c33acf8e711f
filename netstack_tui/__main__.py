"""`python -m netstack_tui` is the `netstack-tui` command."""

from netstack_tui.cli import main

raise SystemExit(main())
