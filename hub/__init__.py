"""EnterpriseHub hub package."""
