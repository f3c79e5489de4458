"""ActiveCampaign: the HTTP client and resource, export planning, and one list's export run."""
