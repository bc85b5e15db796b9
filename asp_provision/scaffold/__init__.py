"""New specs and workspaces from Jinja2 templates, and the customer's service definition."""
