"""Root conftest: load the project's pytest plugin for every package's tests."""

pytest_plugins = ["dwsim_shared.testing.fixtures"]
