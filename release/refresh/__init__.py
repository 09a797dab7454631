"""check, refresh and pin: the daily path from upstream to new pins, one module per step.

`lookup` reads upstream (a source lists versions, a resolver finds what a candidate pins),
`decide` is pure (the candidate within policy, the pin decision, the `Update` values), `plan`
computes every file change and validates it (nothing written), `report` renders results,
`commit` commits a refresh on its own branch, and `execute` runs the flow. A module imports
only from earlier steps (`tests/unit/test_layout.py` checks it).
"""
