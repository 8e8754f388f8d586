"""The panel's widgets, one concern per module; they hold no engine or disk logic."""
