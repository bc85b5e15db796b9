"""The state: what was applied, per customer and step; runs; locks."""
