"""Developer tools that ship in the package but never load in production: the services the demo starts beside the
web server (`demo.py`). Production code does not import this package (nor `pstdesk.testing`, nor a simulator
module): `pstdesk serve` looks `demo.start_demo_services` up by name only when DEMO is set, and
`pstdesk.lib.tests.test_import_graph` keeps it so."""
