"""The only code that knows ActiveCampaign's wire format and published limits: client, limits, errors."""
