"""Assessment views: the workflow (campaigns, stages, sheets) and the results."""
