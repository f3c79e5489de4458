"""What the terminal shows: a progress bar per export, and readable tables of plans, runs and rejections."""
