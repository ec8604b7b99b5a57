"""EnterpriseHub tasks package."""
