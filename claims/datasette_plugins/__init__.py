"""Datasette plugins for the published claims site (loaded with `datasette --plugins-dir`)."""
