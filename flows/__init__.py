"""EnterpriseHub flows package."""
