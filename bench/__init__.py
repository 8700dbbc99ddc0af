"""Benchmarks of Causeway against baselines measured in the same run (not part of the unit tests).

Run one with ``python -m bench.NAME [--smoke]`` from the repository root; each prints its figures
and one ``RATIO`` line (see :func:`bench.common.ratio_line`). Everything runs on 127.0.0.1 and is
bounded in processes, requests and time. Results: bench/RESULTS.md.
"""
