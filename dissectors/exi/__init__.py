"""Schema-informed EXI codec for the V2G message sets."""
