"""Feeds in: the source list, fetching bytes, parsing them into Items, and storing them (intake)."""
