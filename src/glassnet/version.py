"""The package version, importable from anywhere inside glassnet without a cycle."""

__version__ = "0.1.0"
