"""Wire messages between nodes and the space.

The embedded transport and the HTTP transport carry exactly these models.
Binary payloads travel base64-encoded; what the space can read is listed on
each model.
"""
