"""One reader/writer per file format. Readers are pure: they parse a whole file or raise
`ParseError` naming file, line and expectation, so an import is all-or-nothing."""
