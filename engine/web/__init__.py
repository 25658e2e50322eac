"""`commitments serve`: the analyst's workbench as a local web page, server-rendered over the same pipeline
as the command line (load → validate → evaluate → explain/audit → render); nothing here evaluates by itself."""
