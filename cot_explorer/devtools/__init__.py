"""Tools for the tests and benchmarks: start the real app as a user would, drive Chromium.
Not used by the app itself (Playwright is a test dependency, imported only when needed)."""
