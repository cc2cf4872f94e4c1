"""Topic C: initialisation, activations, batch normalisation, clipping, input scaling (labs 002 and 004)."""
