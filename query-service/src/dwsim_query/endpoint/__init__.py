"""Wire-protocol front doors: the user's own tools reach an experiment as a warehouse."""
