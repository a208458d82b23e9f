"""Pure scheduling rules: the practice's configuration, open slots, claims and the request lifecycle.

Nothing here talks to AWS, reads the environment or logs: every function takes what it needs
(including "now") and returns a decision, so the rules can be tested and changed on their own.
"""
