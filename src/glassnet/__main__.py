"""``python -m glassnet`` runs the ``glassnet`` command."""

from .cli import main

main()
