"""Query code of the HR reports, one module per report beside the shared helpers in common.py."""
