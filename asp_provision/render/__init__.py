"""Output: terminal, JSON and CI formats. The only package that imports rich."""
