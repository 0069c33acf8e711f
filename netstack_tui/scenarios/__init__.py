"""Scenarios: the YAML format (`model`), safe loading with file:line errors (`loader`), the shipped
library (`library`), goal checks (`goals`), the self-check (`checker`, `cli`) and the learner's
progress (`progress`). Nothing here imports textual or rich.
"""
