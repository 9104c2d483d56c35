"""Importers: read listing sources, validate, place, store, and sync the search index."""
