"""Compiled EXI encoders, one module per schema set (tools/exigen/compile_encoder.py)."""
