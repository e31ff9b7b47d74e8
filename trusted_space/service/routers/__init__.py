"""One router per area: participants, datasets, products, models, policies, jobs, tasks."""
