"""What the suite expects of each claim: reviewed data, one entry per claim.

A claim absent here is expected to be ``reproduced``. An entry with another verdict is a
finding against a published source; it states the finding, the evidence it rests on
(which configuration and seeds, which numbers), and, where a plausible alternative
set-up flips it, the choice it depends on. The claim's test fails unless the measured
verdict is the expected one and the claim records its sensitivity table.

Entries were written from evidence, so each names the run that produced it; a change
to an entry is a change of finding and belongs in its own reviewed commit.

``EXPECTED`` holds what every fidelity expects. ``AT_FIDELITY`` holds the entries that
differ at one fidelity (a claim that depends on the training budget can read otherwise
at the lab tier's budget), each with the evidence of a run at that fidelity;
:func:`expectations` merges them for a run.
"""
from deepclaims.recorder import Expectation
from deepclaims.verdict import CONTRADICTED

A4_FINDING = ("The lab's hint says the deep FFNet's bottom layers barely move during training while the "
              "ResNet's do. Measured: in the FFNet the first hidden layer moves more, relative to its initial "
              "norm, than the last hidden layer (about 5 times more; the part's interval lies above the "
              "threshold); the layers that barely move are in the middle of the stack (see the per-layer "
              "profile). The ResNet's layers all move, as the lab says. The finding holds under every "
              "alternative in the sensitivity table (absolute instead of relative change, Glorot-normal "
              "weights, twice the budget, another seed base, a plain-PyTorch reference from its own draws).")
C1_FINDING = ("The collapse and saturation halves reproduce: with N(0, 0.01) the last hidden layer's "
              "input-dependent spread is 4 (tanh) to 6.4 (sigmoid) orders of magnitude below the first's (tanh "
              "toward 0, sigmoid toward 0.5), and with N(0, 1) about 78% of tanh's last-layer activations lie "
              "beyond |0.99|. The gradients do not vanish 'in both cases'. Within each net (the first hidden "
              "layer's weight gradient against the last hidden layer's): sigmoid with N(0, 0.01) vanishes by 6.4 "
              "orders of magnitude. Tanh with N(0, 0.01) does not: its back-propagated dL/dz shrinks about 10x "
              "per layer toward the input, but each layer's input shrinks 10x per layer going forward, so the "
              "weight gradients (their product) are equal across layers, all about a millionth of Glorot-normal's "
              "(Glorot and Bengio 2010 observed this equality). With N(0, 1) tanh's first hidden layer gets about "
              "26 times LARGER gradients than its last (saturated units pass nothing back, but the unsaturated "
              "ones carry a backward gain above 1 per layer: the 'chaotic phase' of Poole et al. 2016), and "
              "sigmoid's are only about 2.4 times smaller, not ten. So the gradients vanish with small sigma "
              "under sigmoid (and, read as dL/dz, under tanh), never with large sigma.")
C5_FINDING = ("Against sigmoid the claim holds by 3.5-4 orders of magnitude. Against tanh it does not: with each "
              "activation's recommended initialiser (He-normal for ReLU, leaky ReLU and ELU, LeCun-normal for SELU, "
              "Glorot-normal for tanh), ReLU's and leaky ReLU's first-layer gradients are about 1.8 times tanh's, "
              "SELU's about 4.3 times and ELU's about 7.6 times: larger, but not the ten times 'far larger' needs. "
              "Under Glorot-uniform for every activation ReLU's are about 4.4 times SMALLER than tanh's (the "
              "pre-issue-9 headline, an artifact of giving ReLU tanh's initialiser); with ten hidden layers "
              "ReLU's are about 2.1 times tanh's. Five or ten layers are too shallow for tanh's derivative (near 1 "
              "around 0) under Glorot to starve the first layer; sigmoid's (at most 1/4) is what vanishes.")
C8_FINDING = ("Reproduced for the lab's net: x255 inputs cost the BN net 0.23 of validation accuracy (interval "
              "clear of half the lab's 0.093 drop). The effect is batch normalisation's: the same MLP without BN "
              "keeps its accuracy on x255 inputs (0.927 scaled, 0.929 unscaled), because a ReLU net without BN "
              "scales all its logits by about the same factor and keeps their order, while the BN layers "
              "normalise with running statistics gathered at the training scale.")
A3_FINDING = ("Judged on the trained nets, as the lab inspects them: at the end of training the FFNet's first "
              "hidden layer gets gradients about 4 orders of magnitude smaller than its last hidden layer, the "
              "ResNet's about 2 times larger. But this is what training does to the FFNet, not how it starts: "
              "at initialisation its first and last hidden layers get gradients of the same size (Glorot "
              "init keeps a tanh stack's backward signal near constant), and averaged over training the first "
              "layer's gradients are LARGER on the arithmetic mean of the norms (early epochs dominate) and "
              "about 2.5 orders smaller on the mean of the per-epoch log ratios, an interval touching the "
              "threshold. The vanishing appears as the FFNet's training stalls.")
A1_FINDING = ("Reproduced as a statement about a typical run: at ci about 29% of the lab FFNet's runs learn "
              "(test accuracy >= 0.6 after 100 epochs) and the rest stay at chance. The outcome is bimodal, so the "
              "mean test accuracy (0.54) describes no run; the notebook's single run (0.484) lies inside the "
              "central 95% of ours. The lab's own budget does not change it: in the lab tier's run (200 epochs, 128 "
              "runs) 0.320 [0.246, 0.405] learn, mean test accuracy 0.543, and 0.484 lies at the 67th percentile.")
A2_FINDING = ("Reproduced: over 90% of the ResNet's runs learn. The notebook's single run (test 0.962) is rare "
              "among ours: at ci (100 epochs) it lies above all 32 runs; in the lab tier's run (200 epochs, seeds "
              "0-63, CPU) our mean is 0.841 [0.821, 0.861] and 2 of 64 runs reach 0.962 (percentile 97, outside "
              "the central 95% of our runs). An earlier by-script run at 200 epochs had read mean 0.822 and best "
              "0.944. The data allow it (an RBF SVM or a wide MLP reaches 0.96-0.97 on our "
              "test split), and no set-up difference was found: the spirals formula, the block x + f(f(x)), "
              "Glorot-uniform kernels with zero biases, SGD momentum 0.9 (Keras' and PyTorch's forms agree at a "
              "constant rate), binary cross-entropy on the sigmoid, batch 32 reshuffled every epoch and the "
              "50/50 split match the notebook as the catalogue quotes it, a plain-PyTorch reference agrees with "
              "the engine, and scaling to [0, 1] instead of [-1, 1] makes the ResNet worse (0.735). Either the "
              "notebook's run was rarer than 1 in 64 or its set-up differs in a way the catalogue does not quote.")

B1_FINDING = ("Reproduced at the ci budget (30 epochs): in every hidden layer the sigmoid net's weight gradients "
              "are at least half an order of magnitude smaller than the ReLU net's, most in the first layer (2.5 "
              "orders) and least in the 4th (0.58). With twice the budget (60 epochs, the lab tier's) the 4th "
              "layer's gap narrows to 0.47 orders, an interval touching the 'much closer' threshold, so the "
              "layer-by-layer statement holds for the early layers at either budget and for the 4th only early in "
              "training. On the embedded digits the sigmoid net stays at chance (test accuracy 0.10) within both "
              "budgets, so these are the gradients of a net that is not learning.")
B3_FINDING = ("The rise the lab asks about holds over the ci budget: over 30 epochs the ReLU net's 4th-layer mean "
              "|gradient| rises with the iteration (Spearman rho 0.29) while the loss falls. Over twice the budget "
              "the trend reverses (rho -0.30): the gradient rises early in training and falls once the loss "
              "flattens, so 'increases over iterations' describes the first 30 epochs, not a longer run.")

EXPECTED: dict[str, Expectation] = {
    "B1": Expectation(finding=B1_FINDING, evidence="ci, seeds 0-15: layer 4 log10 sigmoid / ReLU -0.584 [-0.611, "
                      "-0.558] at 30 epochs, -0.474 [-0.503, -0.445] at 60 epochs; the first lab-fidelity run (60 "
                      "epochs, seeds 0-31, H100) read -0.480 [-0.503, -0.457]",
                      depends_on="the training budget: at 60 epochs the 4th layer's gap is less than half an "
                                 "order of magnitude (the lab tier, which trains 60 epochs on 80 seeds, reads "
                                 "contradicted)"),
    "B3": Expectation(finding=B3_FINDING, evidence="ci, seeds 0-15: rho 0.290 [0.213, 0.366] over 30 epochs, -0.299 "
                      "[-0.388, -0.210] over 60; the first lab-fidelity run (60 epochs, seeds 0-31, H100) read "
                      "-0.314 [-0.372, -0.257]",
                      depends_on="the training budget, i.e. the window of iterations the trend is read over (the lab "
                                 "tier, which trains 60 epochs, reads contradicted)"),
    "A1": Expectation(finding=A1_FINDING, evidence="ci, seeds 0-95, 100 epochs: fraction learned 0.292 "
                      "[0.210, 0.389]; mean test accuracy 0.538 [0.517, 0.558]; 0.484 at the 68th percentile; lab tier (200 "
                      "epochs, seeds 0-127, CPU, reports/lab): 0.320 [0.246, 0.405], 0.484 at the 67th percentile"),
    "A2": Expectation(finding=A2_FINDING, evidence="ci, seeds 0-31, 100 epochs: fraction learned 0.938 "
                      "[0.799, 0.983]; mean test accuracy 0.762 [0.723, 0.801]; 0.962 above all 32 runs; lab tier "
                      "(200 epochs, seeds 0-63, CPU, reports/lab): learned 1.0 [0.943, 1.0], mean 0.841, 0.962 at "
                      "the 97th percentile"),
    "A3": Expectation(finding=A3_FINDING, evidence="ci, seeds 0-31, 100 epochs: FFNet log10 RMS gradient first / "
                      "last hidden layer -3.85 [-4.43, -3.28] at the end, -0.09 [-0.32, 0.14] at initialisation, "
                      "-2.48 [-2.96, -1.99] (per-epoch log ratios) and +0.42 [0.32, 0.51] (norms) averaged over "
                      "training; ResNet +0.38, +0.20, +0.28, +0.32",
                      depends_on="when the gradients are measured: vanishing holds for the trained FFNet (end of "
                      "training), not at initialisation, and not (or not decisively) averaged over training"),
    "A4": Expectation(CONTRADICTED, A4_FINDING, "ci, seeds 0-31, 100 epochs: FFNet log10 first / last hidden "
                      "layer relative weight change +0.74 [0.61, 0.88], ResNet +0.51 [0.46, 0.57]; every "
                      "sensitivity row contradicted at seed bases 0, 1000 and 2024 (FFNet part, 8 seeds each; "
                      "the plain-PyTorch reference, 4 seeds, +0.46 [-0.31, 1.24] at base 0)"),
    "C1": Expectation(CONTRADICTED, C1_FINDING, "ci, seeds 0-31, 256 probe images (float64); log10 weight-gradient "
                      "norm, first / last hidden layer: sigmoid N(0, 0.01) -6.41 [-6.43, -6.39], tanh N(0, 0.01) "
                      "+0.01 [-0.01, 0.02], tanh N(0, 1) +1.43 [1.41, 1.45], sigmoid N(0, 1) -0.38 [-0.40, -0.35] "
                      "(threshold -1); read as dL/dz: tanh N(0, 0.01) -4.0, sigmoid N(0, 1) -0.02 [-0.03, 0.00]; "
                      "every sensitivity row contradicted; the same at seed bases 1000 and 2024"),
    "C5": Expectation(CONTRADICTED, C5_FINDING, "ci, seeds 0-31, 256 probe images, recommended init each: log10 "
                      "first-layer gradient norm relu / tanh +0.26 [0.19, 0.32], elu / tanh +0.88 [0.84, 0.93], "
                      "selu / tanh +0.64 [0.61, 0.66] (threshold +1); relu / sigmoid +3.56 [3.51, 3.62]; every "
                      "sensitivity row contradicted (16 seeds each); the same at seed bases 1000 and 2024"),
    "C8": Expectation(finding=C8_FINDING, evidence="ci, seeds 0-7, embedded digits: accuracy scaled - x255, BN net "
                      "0.228 [0.135, 0.321], the same net without BN -0.001 [-0.003, 0.000] (threshold 0.0465)",
                      depends_on="batch normalisation in the evaluated net (its running statistics meet inputs "
                                 "255 times larger); without BN the mismatch costs nothing"),
    "D1": Expectation(
        finding=("Reproduced with He initialisation as Keras, PyTorch and Lu et al.'s DeepXDE define it (He-normal "
                 "weights, zero biases): over 90% of the 10-layer width-2 nets collapse, close to the paper's "
                 "92-94%. With the biases also drawn from N(0, 2/fan_in) the fraction is about 90% and 'over 90%' "
                 "is not established (sensitivity table)."),
        evidence=("ci, |x|, 16 epochs, 1500 trainings: collapsed 0.930 [0.916, 0.942] (seeds 0-1499), 0.927 "
                  "[0.913, 0.939] (1000-2499), 0.939 [0.925, 0.950] (2024-3523); biases N(0, 2/fan_in), first 1000 "
                  "seeds: 0.895 [0.874, 0.913], 0.897, 0.904; by hand, seeds 20000-20999: 0.942 at 16, 32 and 64 "
                  "epochs"),
        depends_on="the bias initialisation: zero biases (the libraries' He) reproduce the paper, biases ~ "
                   "N(0, 2/fan_in) give about 90% collapse, not clearly over 90%"),
    "D3": Expectation(
        finding=("Reproduced with He-normal weights and zero biases: at depth 10 width 3 is born dead in about 56% "
                 "of nets (paper: about 60%), width 5 in about 13-14% (over 10%), width 10 in under 1%, rising "
                 "with depth and falling with width. With the biases also drawn from N(0, 2/fan_in) fewer nets "
                 "are born dead (width 3 about 43%, width 5 about 8%) and the paper's figures are not met."),
        evidence=("ci, 2000 nets per width, 501-point grid of [-sqrt(7), sqrt(7)], depth 10 (9 hidden layers), "
                  "seed bases 0 / 1000 / 2024: width 3 0.554 / 0.571 / 0.592, width 5 0.138 / 0.128 / 0.133 "
                  "(lowest interval bound 0.114), width 10 0.0005 / 0.001 / 0.0015; biases N(0, 2/fan_in), 1000 "
                  "nets: width 3 0.42-0.44; a user's nn.init.kaiming_normal_ + zeros_ nets (1000 per width): "
                  "0.568, 0.144, 0.003"),
        depends_on="the bias initialisation: zero biases (the libraries' He) reproduce the paper's depth-10 "
                   "figures, biases ~ N(0, 2/fan_in) contradict them"),
    "H4": Expectation(finding=(
        "CS231n 2017 Lecture 9 lists six terms for the bottleneck module (28x28x64x1x1x256 twice, "
        "28x28x128x1x1x256, 28x28x192x3x3x64, 28x28x96x5x5x64, 28x28x64x1x1x256) and states 'Total: 358M ops'; "
        "the terms sum to 271,351,808, which is also what the module built from them counts. The slide's 358M "
        "equals the sum with the 3x3 term counted twice (358,055,936). Its naive '854M ops' is right "
        "(854,196,224)."), evidence="exact counts from the instantiated modules (judge_H4)"),
    "G2": Expectation(
        verdict=CONTRADICTED,
        finding=("Read as the sources state it (the lab plots training loss against epochs and asks which method "
                 "is best; Kingma and Ba: Adam 'shows better convergence'), G2 judges each training-loss curve over "
                 "the whole budget: the mean over epochs of log10 training loss, each method at the rate of its "
                 "grid that minimises it on tuning seeds never judged. Adam's curve lies below AdaGrad's, RMSProp's "
                 "and AdaDelta's, but RMSProp with Nesterov momentum lies below Adam's, on the digits stand-in and "
                 "on real Fashion-MNIST, so 'Adam is best of the five' is contradicted. On the digits every tuned "
                 "method has all but converged by epoch 30, so read at the last epoch alone Adam and "
                 "RMSProp+Nesterov tie (not reproduced, the suite's earlier reading: an interval about +-0.15 wide "
                 "that holds the smallest effect, a loss lower by a tenth, log10 1.1; about 240-560 seeds would "
                 "decide it at that spread, beyond what any tier affords); on Fashion-MNIST "
                 "RMSProp+Nesterov is ahead at every epoch, the last included. Kingma and Ba compared Adam with "
                 "SGD-Nesterov, not RMSProp+Nesterov, so the lab's five-way ranking goes beyond the paper. At each "
                 "method's usual starting rate (no search) Adam ranks last."),
        evidence=("ci, sklearn 8x8 digits, 64-128-128-10 ReLU, L2 5e-4, 30 epochs, 32 seeds, rates searched on 4 "
                  "tuning seeds: mean over epochs of log10 training loss RMSProp+Nesterov / Adam -0.134 [-0.171, "
                  "-0.097] (seed base 0), -0.153 [-0.196, -0.111] (1000), -0.140 [-0.182, -0.099] (2024); Adam below "
                  "AdaGrad +0.264 [0.229, 0.299], RMSProp +0.352 [0.313, 0.392], AdaDelta +0.286 [0.246, 0.325] "
                  "(base 0). At 25% / 50% of the budget (epochs 8, 15): -0.159 [-0.230, -0.089], -0.148 [-0.242, "
                  "-0.054]; at the last epoch -0.008 [-0.159, 0.143] (base 0), -0.025 [-0.171, 0.121] (1000), "
                  "+0.124 [-0.040, 0.289] (2024), seeds that would decide it 563 / 293 / 239. Judged under issue "
                  "21's rule (each ratio must clear log10 1.1 = 0.041): the verdicts are unchanged. Rows (16 seeds, "
                  "2 tuning seeds): twice the budget -0.142 [-0.199, "
                  "-0.086] (base 0), -0.190 [-0.242, -0.138] (1000), -0.138 [-0.209, -0.066] (2024); usual rates "
                  "contradicted at each base (Adam last). Real Fashion-MNIST (first 2000 training images, "
                  "784-128-128-10, 15 epochs, 8 seeds, rates searched on it): -0.094 [-0.101, -0.087] (base 0), "
                  "-0.079 [-0.090, -0.068] (1000), -0.083 [-0.096, -0.070] (2024); its last epoch -0.165 [-0.202, "
                  "-0.127] (base 0). A plain-PyTorch reference (nn.Sequential, kaiming_uniform_, DataLoader, "
                  "torch.optim.Adam, one seed at a time, seeds 0-15, the searched rates; "
                  "reports/lab/evidence/g2_plain_reference.py): area -0.186 [-0.240, -0.133], last epoch +0.044 "
                  "[-0.132, 0.220]."),
        depends_on=("what is read off the curve on the digits: the last epoch alone, where the tuned methods have "
                    "converged, ties Adam with RMSProp+Nesterov (not reproduced); the whole curve, twice the "
                    "budget, the usual rates and real Fashion-MNIST (every epoch) read contradicted")),
    "E2": Expectation(
        verdict=CONTRADICTED,
        finding=("The lab asks whether a BN layer on the input, in place of standardising it, helps LeNet-5. It "
                 "did not help by as much as one accuracy point, the smallest difference that matters (the "
                 "convention of deepclaims.effects; the lab gives no size): the paired difference in test accuracy "
                 "(input BN minus standardised) is within half a point of zero and its interval lies wholly below "
                 "+0.01 at every seed base, so 'input BN helped' is contradicted: any gain is too small to matter. "
                 "A likely reason: the BN after the first convolution undoes any affine change of the input "
                 "(except at the zero-padded borders), so the two nets differ little. Before issue 21 the same "
                 "numbers were judged against 0 and read 'not reproduced' (an interval holding 0)."),
        evidence=("ci, 28x28 digits stand-in, 300 training / 1497 test images, 15 epochs, SGD 0.01/0.9, 8 seeds "
                  "(channels-last grouped convolutions, issue 20): +0.0022 [-0.0024, 0.0068] (seed base 0), -0.0004 "
                  "[-0.0035, 0.0027] (1000), -0.0010 [-0.0032, 0.0012] (2024), +0.0018 [-0.0012, 0.0047] (3141), "
                  "+0.0014 [-0.0012, 0.0040] (9000); row 'another seed base' wholly below +0.01 at each; before the "
                  "conv change (NCHW per-seed convolutions) +0.0011 [-0.0035, 0.0057] (base 0); by script before "
                  "issue 21: twice the budget 0.0000 [-0.0027, 0.0027], BN's higher rate 0.05 +0.0011 [-0.0144, "
                  "0.0166], the plain-PyTorch PlainLeNet5 (PyTorch's default init) -0.0021 [-0.0057, 0.0015], each "
                  "wholly below +0.01"),
        depends_on=("the BN layers' settings: with Keras' BatchNormalization defaults (eps 1e-3, momentum 0.01) in "
                    "both arms the difference is ten times noisier and undecided at 8 seeds at four of five bases "
                    "(-0.019 [-0.063, 0.026] at base 0, about 29 seeds would decide it; 15 at 2024, 120 at 3141, "
                    "367 at 9000), contradicted at 1000 (-0.022 [-0.050, 0.006]); its slow running averages (150 "
                    "updates at momentum 0.01) leave eval-mode BN statistics unsettled")),
    "E4": Expectation(
        finding=("Reproduced at ci's budget with the lab's placement (dropout 0.5 after every hidden layer, conv "
                 "layers included): BN and dropout together score below BN alone (Li et al.'s variance shift: with "
                 "dropout before BN the BN inputs' eval-mode variance is a fifteenth of the training-mode one, and "
                 "that order costs test accuracy), and above dropout alone. The second comparison depends on the "
                 "budget and on where dropout goes: dropout alone learns slowly in that placement and catches up "
                 "with the pair at twice the epochs; with dropout only on the dense layers, or at Srivastava et "
                 "al.'s conv-net rates, dropout alone reaches 0.88-0.94 and the pair's lead shrinks to "
                 "+0.006..+0.037."),
        evidence=("ci, 15 epochs, 8 seeds: together - BN alone -0.178 [-0.202, -0.154]; together - dropout alone "
                  "+0.123 [0.038, 0.208] (base 0), +0.197 [0.052, 0.342] (base 1000), +0.092 [0.036, 0.149] (base "
                  "2024); variance shift log10 -1.17 [-1.20, -1.14]; twice the budget (30 epochs): together - "
                  "dropout alone -0.001 [-0.058, 0.057] (base 0), -0.044 [-0.069, -0.018] (base 2024); dense-only "
                  "dropout: +0.008 [-0.006, 0.022] (base 0), +0.024 [0.013, 0.035] (1000), +0.006 [-0.001, 0.013] "
                  "(2024); Srivastava's conv rates (retain 0.9/0.75/0.5): +0.015 [-0.001, 0.030] (0), +0.032 "
                  "[0.016, 0.048] (1000), +0.037 [0.019, 0.056] (2024); 60 epochs (by script): -0.079 [-0.104, "
                  "-0.053]"),
        depends_on=("the training budget (at twice the epochs dropout alone catches up with BN + dropout: not "
                    "reproduced, contradicted at seed base 2024; at four times it is ahead) and the dropout "
                    "placement (the lab's 'hidden layers' read as all four, conv included; with dropout on the "
                    "dense layers only the pair's lead over dropout alone is not detectable at seed bases 0 and "
                    "2024, and at Srivastava et al.'s conv-net retain rates not at base 0)")),
    "F2": Expectation(
        finding=("Reproduced against the judged fixed arm, the best constant rate between the bounds: the cyclic "
                 "policy is not worse by one accuracy point at any of five seed bases. Against the fixed arm at "
                 "lr_max (the range test's lowest-loss rate, next to divergence; the arm before issue 19) the "
                 "cyclic policy is ahead on average but that arm's spread leaves the comparison undecided at 16 "
                 "seeds at some bases."),
        evidence=("ci, MiniGoogLeNet on the 10x10 digits stand-in, 24 epochs, 16 seeds, channels-last grouped "
                  "convolutions (issue 20): cyclic - fixed +0.0019 [-0.0073, 0.0111] (base 0), +0.0027 [-0.0045, "
                  "0.0099] (1000), +0.0150 [0.0038, 0.0263] (2024), -0.0007 [-0.0070, 0.0056] (3141), +0.0088 "
                  "[0.0000, 0.0175] (9000), each above -0.01; the lr_max row +0.072 [-0.035, 0.179] (0: undecided, "
                  "about 49 seeds would decide it), +0.019 [-0.005, 0.042] (1000), +0.057 [0.017, 0.097] (2024), "
                  "+0.016 [-0.008, 0.041] (3141), +0.024 [0.006, 0.043] (9000); the same seeds before the conv "
                  "change read the row undecided at base 1000 instead (+0.033 [-0.014, 0.081])"),
        depends_on=("the fixed arm's rate: at lr_max instead of the best constant rate between the bounds the "
                    "non-inferiority comparison is undecided at 16 seeds at one seed base of five")),
}


# Entries that differ at one fidelity, each resting on a run at that fidelity.
C7_LAB_FINDING = ("On the real Fashion-MNIST, with the lab's own configuration (600/200 ReLU, He-normal, Keras BN "
                  "defaults, SGD 0.01, batch 32, 15 epochs, 55,000 / 5,000 split), BN neither trains clearly "
                  "faster nor better. Its training loss is lower at every epoch (0.507 against 0.656 after epoch 1), "
                  "but it is not a full epoch ahead: without BN the loss after epoch 2 is already 0.041 below BN's "
                  "after epoch 1. Its final validation accuracy is higher by 0.003 [0.0005, 0.0055], below the lab's "
                  "own epoch-to-epoch wobble (0.01) that 'better' was fixed to exceed. Our BN runs reproduce the "
                  "lab's printed curve (its epochs 1-9 lie at percentiles 12-75 of our 16 runs; its 0.89 at 69), so "
                  "the comparison rests on a faithful BN arm. On the embedded digits stand-in (ci) C7 reads "
                  "reproduced: the stand-in verdict does not carry over to the lab's data. The finding holds under "
                  "every alternative tried: 'faster' read as merely lower after the same epoch (the 'better' part "
                  "still fails), 'better' at each run's best epoch, another seed base, twice the budget, and a "
                  "plain-PyTorch reference with PyTorch's own BN and init defaults.")
C8_LAB_FINDING = ("Reproduced on the real Fashion-MNIST: x255 inputs cost the BN net 0.087 [0.076, 0.098] of "
                  "validation accuracy (threshold: half the lab's 0.093 drop), and the lab's single run sits inside "
                  "our runs on every number: scaled 0.890 (percentile 69), unscaled 0.797 (44; ours 0.801), drop "
                  "0.093 (62); our unscaled loss 79 against the lab's 83. Without BN the same nets lose 0.023 "
                  "(0.885 to 0.862): less than half the lab's drop, so the effect is still batch normalisation's, "
                  "though on real data the plain net is not untouched as on the stand-in.")

B1_LAB_FINDING = ("At the lab tier's budget (60 epochs, twice ci's) the layer-by-layer statement fails at the 4th "
                  "hidden layer: its sigmoid gradients are 0.46 orders of magnitude below ReLU's, short of the half "
                  "order 'much closer to 0' asks, while layers 1-3 are 2.4, 1.8 and 1.1 orders below and the "
                  "sigmoid net's gradients are smallest in its earliest layer (1.7 orders below its last). At ci's "
                  "30 epochs the 4th layer clears the half order (reproduced): the gap narrows as training goes "
                  "on, to 0.28 orders at 120 epochs. The sigmoid net never learns on the embedded digits (test "
                  "accuracy 0.10), so these are the gradients of a net that is not learning.")
B3_LAB_FINDING = ("Over the lab tier's 60 epochs the ReLU net's 4th-layer mean |gradient| falls with the iteration "
                  "(Spearman rho -0.32), so the rise the lab asks about is not what a 60-epoch run shows: the "
                  "gradient rises over the first epochs, while the loss drops fastest, and falls once the loss "
                  "flattens (rho -0.70 over 120 epochs; +0.29 over ci's 30).")

AT_FIDELITY: dict[str, dict[str, Expectation]] = {
    "lab": {
        "B1": Expectation(
            CONTRADICTED, B1_LAB_FINDING,
            evidence=("lab, embedded 8x8 digits, 60 epochs, seeds 0-79, CPU: layer 4 log10 sigmoid / ReLU -0.457 "
                      "[-0.472, -0.443] (threshold < -0.5), layers 1-3 -2.38, -1.77, -1.11; at seeds 0-31 it read "
                      "-0.480 [-0.502, -0.457], touching the threshold, hence 80 seeds (a power calculation asked "
                      "for 76); twice the budget (120 epochs) -0.276 [-0.289, -0.263]; seed base 1000 (seeds 1000-1079): "
                      "-0.461 [-0.474, -0.448]"),
            depends_on="the training budget: at ci's 30 epochs the 4th layer's gap exceeds half an order "
                       "(reproduced); the lab tier trains 60"),
        "B3": Expectation(
            CONTRADICTED, B3_LAB_FINDING,
            evidence=("lab, embedded 8x8 digits, 60 epochs, seeds 0-79, CPU: rho -0.320 [-0.354, -0.286] "
                      "(threshold > 0); 120 epochs -0.702 [-0.718, -0.685]; seeds 0-31 read -0.316 [-0.373, "
                      "-0.258]; seed base 1000: -0.278 [-0.310, -0.246]"),
            depends_on="the training budget, i.e. the window of iterations the trend is read over (ci's 30 "
                       "epochs read reproduced)"),
        "C7": Expectation(
            CONTRADICTED, C7_LAB_FINDING,
            evidence=("lab, real Fashion-MNIST from /usr/share/datasets (Debian's dataset-fashion-mnist), seeds "
                      "0-15, CPU: epoch 2 without BN - epoch 1 with BN -0.0411 [-0.0427, -0.0395] (threshold > 0); "
                      "final validation accuracy BN - no BN +0.0030 [0.0005, 0.0055] (threshold > 0.01); rows from "
                      "the same runs: same-epoch reading +0.149 loss gap but 'better' contradicted, best epoch "
                      "contradicted; seeds 0-7 (--max-seeds 8, CI's check): -0.042, +0.0044 [0.0012, 0.0075]. By "
                      "script (reports/lab/C7_alternatives.md): another seed base (engine, seeds 100000-100007) "
                      "-0.041, +0.0037 [0.0007, 0.0067]; plain PyTorch (nn.Sequential, nn.BatchNorm1d and "
                      "kaiming_normal_ defaults, seeds 0-7) -0.051, +0.0040 [-0.0008, 0.0088]; twice the budget "
                      "(engine, 30 epochs, seeds 0-3) -0.043, -0.0072 [-0.0182, 0.0038]: without BN ahead; seed base "
                      "1000, --max-seeds 8: -0.039 [-0.042, -0.035], +0.0035 [0.0002, 0.0069]")),
        "C8": Expectation(
            finding=C8_LAB_FINDING,
            evidence=("lab, real Fashion-MNIST, seeds 0-15, CPU: scaled - x255, BN net 0.0873 [0.0763, 0.0984]; "
                      "without BN 0.0227 (threshold 0.0465); seeds 0-7: 0.0872 [0.0743, 0.1002]; seed base 1000, "
                      "--max-seeds 8: 0.0971 [0.0831, 0.1112]"),
            depends_on="batch normalisation in the evaluated net: without BN the mismatch costs less than half "
                       "the lab's drop"),
    },
}


def expectations(fidelity: str) -> dict[str, Expectation]:
    """What a run at ``fidelity`` expects of each claim."""
    return {**EXPECTED, **AT_FIDELITY.get(fidelity, {})}
