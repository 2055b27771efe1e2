"""Publishing open data on CKAN: the local portal (``portal``) and the publisher."""
