"""The civic app: snap-and-report (随手拍): categories, reports, routing to grid areas, follow-up, Open311."""
