"""Generated EXI grammar tables (tools/exigen/generate.py); one module per schema set."""
