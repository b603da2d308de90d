"""Pytest plugin of DW Simulator: real servers for integration tests (see `fixtures`)."""
