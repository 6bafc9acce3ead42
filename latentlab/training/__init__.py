"""Training loops and parts shared by the recipes."""
