"""Where subscribers, digests and deliveries are kept."""
