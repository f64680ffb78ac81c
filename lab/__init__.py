"""Lab services that behave like the products (vulnerable and hardened twins) and decoys."""
