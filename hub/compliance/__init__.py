"""Compliance guards that no workflow can switch off (COMPLIANCE.md), one module per guard;
`hub.compliance.opt_out.classify_sms` tells STOP / START / HELP apart (guard 3)."""
