"""Topic A: depth and residual connections (lab 000, the student's report 003)."""
