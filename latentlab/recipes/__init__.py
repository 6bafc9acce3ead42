"""Training recipes that reproduce the embedded models' shipped weights."""
