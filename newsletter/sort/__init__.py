"""Sorting the week: taxonomy and classifier (labels), clustering into stories, ranking and curating."""
