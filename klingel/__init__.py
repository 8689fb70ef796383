"""Klingel: one-click video rooms for a town, on its own server."""
