"""HomePlug AV / Green PHY management messages, SLAC (ISO 15118-3) and vendor families."""
