"""The casework app: help requests at the 五师一室 desks: triage, assignment, confidential notes, deadlines."""
