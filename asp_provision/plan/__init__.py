"""Planning: the step graph, the diff against the state, estimates and charges."""
