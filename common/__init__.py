"""Pure helpers every layer may use (etl, auth, data, components): Swedish formats."""
