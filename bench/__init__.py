"""PST Desk benchmarks: `make bench` (quick) and `make bench-full`. Never run as tests."""
