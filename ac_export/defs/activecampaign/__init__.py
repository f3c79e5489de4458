"""Dagster definitions of the export: the `activecampaign_list` asset and the connection resources."""
