"""The ``glassnet`` command: one module per command group (train, use, see, export, demo), the
shared option types and printed tables (types, show), and the Dask options (dask).
The entry point is ``glassnet.cli.main:main``."""
