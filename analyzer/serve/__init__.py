"""`certtriage serve`: the team's web application and the HTTP API for ticket systems.

Only `config` and `job` may be imported without the `serve` extra: the CLI checks options with
`config` before it imports FastAPI, and worker processes run `job`, which needs no web code.
"""
