"""The bay database: SQLAlchemy models and one Connection class."""
