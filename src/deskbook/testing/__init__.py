"""What tests and benchmarks build on, kept out of the receptionist's code path (as SQLAlchemy
keeps sqlalchemy.testing): row builders (rows), fresh databases (databases), the scenarios built
from them (small_clinic, tui_clinic, soak_seed, explain_clinic), the soak, the invariant checker
and a TCP proxy that plays a server going away.

Nothing here imports pytest or Textual: the fixtures are in tests/conftest.py and its tiers.
"""
