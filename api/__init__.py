"""EnterpriseHub api package."""
