"""Proving pinned values against upstream: `verify --online`, signatures, confirmation."""
