"""The database tier: schema rules, migrations, engine behaviour, search, query plans, backup,
outages and the CLI against real databases; the fixtures are the root ones (db_url,
module_url) and the scenarios are in deskbook.testing."""
