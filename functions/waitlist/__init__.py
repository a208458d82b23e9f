"""(v2) The waitlist's stream consumer: a time held on the table is freed, and the oldest waiting
entries that fit what availability then offers are emailed a link to request it."""
