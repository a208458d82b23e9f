"""Stream consumer: which change of the table deserves which email, rendered and sent through SES
exactly once per change."""
