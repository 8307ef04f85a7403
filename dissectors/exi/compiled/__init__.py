"""Compiled decoders, one module per schema set (tools/exigen/compile.py; do not edit)."""
