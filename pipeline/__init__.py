"""Budget-performance reporting warehouse."""
