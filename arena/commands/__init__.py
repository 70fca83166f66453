"""Subcommands of the ``arena`` CLI, one module each (see :mod:`arena.cli`)."""
