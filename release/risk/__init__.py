"""Risk facts about pinned versions: published advisories (OSV, GitHub) and end of life."""
