"""`make bench`: the benchmark suite (not installed with the package)."""
