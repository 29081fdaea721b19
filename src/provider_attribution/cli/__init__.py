"""The ``provider-attribution`` command line; :func:`main` is the console-script entry point."""

from provider_attribution.cli.app import main

__all__ = ["main"]
