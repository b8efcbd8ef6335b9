"""Clean scraped content-farm pages into an auditable dataset."""

__version__ = "0.1.0"
