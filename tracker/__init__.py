"""tracker: link fan requests to the builds that shipped them, and credit the fans."""

__version__ = "0.1.0"
