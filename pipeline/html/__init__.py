"""HTML pages: parsing (``tree``), class and id hints (``classes``), the
main content (``main``) and metadata from the head (``meta``)."""
