"""Applications as small programs of socket calls, run step by step on the simulated kernel.

`language` reads a program's text, `calls` carries out each socket call against the host's socket
table, `runner` keeps a running program's threads and says which call each is blocked in, and
`shipped` holds the well-known shapes of server and client ready to run.
"""
