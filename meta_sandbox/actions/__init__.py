"""Control actions: what the control API, the console and the facade do to the sandbox's world,
as plain functions (values in, plain values out)."""
