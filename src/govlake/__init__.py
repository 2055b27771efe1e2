"""govlake: the district data lake."""
