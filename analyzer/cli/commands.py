"""Import every command module so that it registers itself on the app."""
