"""EnterpriseHub ml package."""
