"""The export destroy writes first, and the customer's history."""
