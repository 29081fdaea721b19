"""Running against a warehouse: preflight validation of the inputs, then attributing and
writing the outputs."""
