"""The trusted space: registry, datasets on offer, jobs, tasks, ledger.

It relays protocol messages it cannot read, combines ciphertexts it cannot
decrypt, and records every step in the ledger. It never receives an
identifier or a plaintext value.

    space.py            the facade every transport calls (participants,
                        datasets, models, policies; delegates jobs and tasks)
    jobs.py             submission, refusal, status, result, failing, expiry,
                        the background worker's steps, privacy report
    tasks.py            task queue, leases, pull/exchange, results, node
                        signatures, long polls' conditions
    port.py             JobContext: all an engine may ask of the space
    engines/            one engine per Product.engine value, and the registry
    policy_registry.py  published policies and the gate that applies them
"""
