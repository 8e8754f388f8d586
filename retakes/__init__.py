"""retakes: AI video edits inside the NLE."""
