"""Publishing open data on CKAN: the local portal and the publisher (docs/publishing.md)."""
