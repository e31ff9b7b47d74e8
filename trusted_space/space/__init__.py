"""The trusted space: registry, datasets on offer, jobs, tasks, ledger.

It relays protocol messages it cannot read, combines ciphertexts it cannot
decrypt, and records every step in the ledger. It never receives an
identifier or a plaintext value.
"""
