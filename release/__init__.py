"""delphi-release: the release and version-pinning pipeline of Delphi."""

__version__ = "0.1.0"
