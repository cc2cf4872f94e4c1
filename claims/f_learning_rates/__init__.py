"""Topic F: LR range test, cyclical learning rates and growing batches (lab 004 Problem 3)."""
