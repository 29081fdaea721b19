"""Reading the outputs: explanations, reconciliation with CMS's assignment lists, the report's
data and HTML."""
