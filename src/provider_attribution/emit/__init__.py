"""The run as text: SQL statements for any supported dialect, and a dbt project."""
