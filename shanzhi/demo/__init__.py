"""The demo county: a deterministic county shaped like Hulin, shared with the benchmarks."""
