"""Topic G: adaptive optimisers and dropout (lab 004 Problem 4; Kingma and Ba 2015, section 6.2)."""
