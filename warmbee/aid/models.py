"""The aid app: aid programmes: eligibility, applications, maker-checker review, disbursement ledger."""
