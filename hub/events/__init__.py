"""GHL deliveries turned into event-log rows and typed domain events."""
