"""Civic Trust Survey: the Flask application package."""
