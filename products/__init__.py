"""Data products: declarative features (SQL over a provider's canonical
tables), models and output modes, and the plaintext references they are
tested against."""
