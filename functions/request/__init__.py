"""Client-facing handlers: availability, submitting requests, reschedule, cancel, my appointments."""
