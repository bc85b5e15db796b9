"""The local site: its certificate authority."""
