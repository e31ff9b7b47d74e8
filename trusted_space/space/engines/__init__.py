"""The space's engines: one module per way a product's job runs."""
