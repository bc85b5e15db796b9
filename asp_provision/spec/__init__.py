"""The spec: models, the position-keeping loader, semantic rules and the catalog."""
