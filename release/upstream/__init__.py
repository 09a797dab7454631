"""Upstream sources: where component versions, checksums and image digests come from."""
