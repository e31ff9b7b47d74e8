"""Consumer-side node (the provider node lives in ``connectors``)."""
