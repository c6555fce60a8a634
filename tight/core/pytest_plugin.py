"""pytest plugin (entry point ``pytest11``) giving tight apps their fixtures."""
