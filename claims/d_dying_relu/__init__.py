"""Topic D: dying ReLU and network collapse (lab 004 Problems 1.2-1.3; Lu et al. 2020)."""
