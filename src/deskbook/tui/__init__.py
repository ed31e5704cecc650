"""The Textual front desk: the app, its screens and widgets, and the action registry.

Everything Textual lives under this package; the domain (deskbook.*, deskbook.db) never imports
it, which tests/domain/test_domain_import.py checks in a fresh interpreter.
"""
