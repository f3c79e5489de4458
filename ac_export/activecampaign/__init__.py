"""ActiveCampaign: the HTTP client and resource, export planning, the ledger, and the sync."""
