"""Arena's games in 2-D, one small declarative file each (no engine code)."""
