"""Terminal UI (Textual) for v2gsniff; depends on the core, never the reverse."""
