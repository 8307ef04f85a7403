"""TCP reassembly, TLS decryption and V2GTP framing, one connection at a time."""
