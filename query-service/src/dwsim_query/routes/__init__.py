"""The query service's HTTP routes, one module per resource; each calls the service layer."""
