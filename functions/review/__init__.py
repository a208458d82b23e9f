"""Staff handlers: the review queue, approve and deny, practice settings, clinicians and clients."""
