"""Run stage: supervised pytest workers."""
