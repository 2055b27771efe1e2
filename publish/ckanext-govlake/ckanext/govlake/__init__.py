"""govlake's CKAN extension (runs inside the CKAN virtualenv, not govlake's)."""
