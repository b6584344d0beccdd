"""Metrics (registry ``metric``)."""
