"""A customer after its first apply: its history, and what it leaves with when destroyed."""
