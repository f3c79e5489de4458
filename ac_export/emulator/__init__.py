"""A local emulator of the part of ActiveCampaign API v3 that ac_export uses. Stands alone."""
