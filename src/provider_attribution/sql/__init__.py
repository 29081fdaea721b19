"""The query plan: the SQLAlchemy selects of an attribution run, stage by stage, and the
invariants their results keep."""
