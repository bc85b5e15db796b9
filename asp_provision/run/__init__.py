"""Running the steps' playbooks: inventory, secrets, the executor over ansible-runner."""
