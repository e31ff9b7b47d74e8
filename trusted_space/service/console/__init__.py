"""The steward's and operator's web console, served by the space at /console.

Server-rendered HTML (Jinja2), one small stylesheet and one small script, no
CDN: the machines that run a space have no internet. It shows what the space
holds, which is never an identifier or a raw value: policies, decisions and
their reasons, the ledger and its verification, usage, participants and their
keys' fingerprints.
"""
