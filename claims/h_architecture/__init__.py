"""Topic H: architecture arithmetic (lab 004, Problem 5)."""
