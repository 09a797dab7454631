"""The manifest: `versions.yaml` loaded, validated and written back."""
