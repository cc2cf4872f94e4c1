"""Topic B: gradient distributions, sigmoid beside ReLU (lab 001)."""
