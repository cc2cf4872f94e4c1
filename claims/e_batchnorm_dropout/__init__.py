"""Topic E: batch normalisation and dropout on LeNet-5 (lab 004 Problem 2; Ioffe and Szegedy
2015; Srivastava et al. 2014; Li et al., CVPR 2019). runs.py holds the cached experiments,
experiments.py the tiers and plans, judges.py the judges and their thresholds, plots.py the
figures, specs.py the claim specs."""
