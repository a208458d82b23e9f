"""Running the system without AWS: the stream pump and, later, the local gateway."""
