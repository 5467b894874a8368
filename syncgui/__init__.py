"""syncgui: a desktop sync manager for contacts, built on Sync Framework style knowledge."""

__version__ = "0.1.0"
