"""What every HTTP handler shares: the route table, identity, errors, idempotency, the resolver."""
