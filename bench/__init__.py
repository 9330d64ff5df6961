"""WarmBee benchmarks (not part of the application package)."""
