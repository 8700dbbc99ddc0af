"""The application: the composition root above the three layers (hub -> federation -> web).

Only this package may import every layer; none of them imports it (tests/hub/test_layering.py).
"""
