"""checkov custom checks of the project (loaded by checkov, never imported by the project)."""
