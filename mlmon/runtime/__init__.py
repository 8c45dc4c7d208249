"""numpy-only execution of exported detector configs."""
