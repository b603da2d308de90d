"""Lineage: what produced each run (provenance), the history of an experiment's runs (events),
the graph that joins them, and the OpenLineage events sent about them."""
