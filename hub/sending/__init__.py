"""The send path: guards, the send ledger (at most once, COMPLIANCE.md guard 9), reconciliation of
uncertain outcomes, and the per-contact audit trail (guard 10).

    from hub.sending.sender import send              # one guarded, ledgered send
    from hub.sending.reconcile import reconcile      # settle `unknown` / abandoned reservations
    from hub.sending.audit import contact_audit      # what was sent or not, and why
"""
