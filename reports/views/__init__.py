"""The views of the reports area: `base.py` (what every report shares), one module per report, and
`certificates.py` (certificate PDFs and ZIPs). Routed by reports/admin_urls.py (the admin) and
reports/urls.py (a person's own certificate)."""
