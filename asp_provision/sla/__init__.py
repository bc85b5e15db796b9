"""Service levels measured: support clocks, ticket and outage imports, the monthly report."""
