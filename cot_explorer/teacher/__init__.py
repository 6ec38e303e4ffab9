"""Teachers produce chain-of-thought knowledge for posts; parsers read their answers."""
