"""Format backends of the reader: one module per file format.

Each backend opens a gated file and exposes its sheets and their rows as
`SheetRow` tuples (see base.py). Sheet choice, header detection, merged-cell
filling and the row and column limits live in customers.importing.reader,
so every format behaves the same.
"""
