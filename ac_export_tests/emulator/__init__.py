"""Contract tests of the ActiveCampaign emulator, run over a real socket."""
