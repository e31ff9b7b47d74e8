"""Source adapters: load a provider's files into its node's canonical tables.

Each source kind is one module with a ``Connector`` subclass; ``get_connector``
finds one by name. Identifiers are validated and normalised here, and every
load writes a quality report naming each rejected row and field.
"""
