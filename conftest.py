"""Root conftest: load the project's pytest plugin for every package's tests."""

# Imported up front on purpose: hypothesis's pytest plugin otherwise imports it lazily in the
# terminal summary, deep in pytest's hook stack, where CPython 3.11.7's parser can fail with
# "AST constructor recursion depth mismatch" for runs that use no hypothesis test.
import hypothesis  # noqa: F401

pytest_plugins = ["dwsim_shared.testing.fixtures"]
