"""The database boundary: tables, engines, migrations, search and the demo clinic. No UI here."""
