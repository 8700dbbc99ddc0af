"""Tests of federation.features, one module per feature."""
