"""deepclaims engine: seeded vectorised training, probes, statistics, result cache,
reports and the pytest plugin. It knows no claim and no model."""
