"""The command line: thin typer commands over the library. Only this package prints."""
