"""HTTP routes and error handling."""
