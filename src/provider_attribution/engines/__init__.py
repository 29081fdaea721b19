"""The engines layer: per-engine names and capabilities, portable SQL expressions and DDL,
and the inputs and outputs as typed SQLAlchemy tables."""
