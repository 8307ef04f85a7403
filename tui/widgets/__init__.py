"""The panes of the main screen; each takes data through a method and reports up with messages."""
