"""Root conftest: load the deepclaims pytest plugin for claims/, bench/ and tests/."""
pytest_plugins = ["deepclaims.plugin"]
