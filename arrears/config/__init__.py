"""Settings, and loading strategy and policy files (the domain stays pure)."""
