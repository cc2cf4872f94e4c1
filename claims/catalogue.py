"""The claims catalogue: stable IDs, the statement of each claim, and its source.

Transcribed from the project's CLAIMS.md (the statements verbatim, the sources
abbreviated to the lab file and the papers each section names).
"""
from dataclasses import replace

from deepclaims.recorder import CatalogueEntry

CATALOGUE: dict[str, CatalogueEntry] = {
    'A1': CatalogueEntry(
        "A deep tanh FFNet (the lab's 32-layer net) does not learn: test accuracy stays near chance.",
        'lab handout 000 (EIE4122 Lab 3, Gradient_vanishing.ipynb) and the student report 003'),
    'A2': CatalogueEntry(
        'The ResNet of the same width and comparable depth learns the same task.',
        'lab handout 000 (EIE4122 Lab 3, Gradient_vanishing.ipynb) and the student report 003'),
    'A3': CatalogueEntry(
        "Vanishing is visible in the gradients themselves: in the deep FFNet the first layers' gradient norms are orders of magnitude below the last layers'; in the ResNet they are not.",
        'lab handout 000 (EIE4122 Lab 3, Gradient_vanishing.ipynb) and the student report 003'),
    'A4': CatalogueEntry(
        "In the deep FFNet the bottom layers' weights barely move during training; the ResNet's do (per-layer weight and gradient histograms over epochs are figures in the report).",
        'lab handout 000 (EIE4122 Lab 3, Gradient_vanishing.ipynb) and the student report 003'),
    'A5': CatalogueEntry(
        'Maximum trainable depth: sweeping depth, the ResNet stays trainable far deeper than the FFNet (003 reports tanh: FFNet about 20 hidden layers, ResNet about 74). The suite estimates each maximum depth with an interval, defining "trainable" statistically over seeds.',
        'lab handout 000 (EIE4122 Lab 3, Gradient_vanishing.ipynb) and the student report 003'),
    'A6': CatalogueEntry(
        "Activation and depth: 003 reports ReLU *lowers* the FFNet's maximum depth (7 vs 20 with tanh), blaming dying ReLU; a public tutorial the lab cites (machinelearningmastery, make_circles, SGD 0.01/0.9, 500 epochs, batch 32) reports 5 x Dense(5, tanh) with RandomUniform(0,1) init fails (train 0.530 / test 0.468) while 5 x Dense(5, relu) with He-uniform learns (0.836 / 0.840). Test both as stated and report under which initialisation each holds.",
        'lab handout 000 (EIE4122 Lab 3, Gradient_vanishing.ipynb) and the student report 003'),
    'A7': CatalogueEntry(
        "Adding batch normalisation after each dense layer of a deep ReLU FFNet prevents dying ReLU (fewer dead units) and restores training (the lab handout's hint).",
        'lab handout 000 (EIE4122 Lab 3, Gradient_vanishing.ipynb) and the student report 003'),
    'A8': CatalogueEntry(
        "The ResNet's structure (layers, output shapes, parameter counts) is shown in the report, as the lab asks for a model summary.",
        'lab handout 000 (EIE4122 Lab 3, Gradient_vanishing.ipynb) and the student report 003'),
    'B1': CatalogueEntry(
        "The sigmoid network's weight gradients are much closer to 0 than the ReLU network's, layer by layer, and smallest in the earliest layers.",
        "lab 001, after MATLAB's example 'Detect Vanishing Gradients in Deep Neural Networks by Plotting Gradient Distributions'"),
    'B2': CatalogueEntry(
        'Per-layer gradient distributions over epochs (30-bin histograms) are figures in the report, sigmoid beside ReLU.',
        "lab 001, after MATLAB's example 'Detect Vanishing Gradients in Deep Neural Networks by Plotting Gradient Distributions'"),
    'B3': CatalogueEntry(
        "The lab asks why the ReLU network's 4th-layer average gradient *increases* over iterations. Measure the per-layer mean absolute gradient over iterations and report whether that trend holds, and its relation to the loss curve.",
        "lab 001, after MATLAB's example 'Detect Vanishing Gradients in Deep Neural Networks by Plotting Gradient Distributions'"),
    'C1': CatalogueEntry(
        'With weights from N(0, sigma) and tanh or sigmoid, small sigma makes activations collapse layer by layer (tanh toward 0; sigmoid toward a constant 0.5) and large sigma saturates them (tanh toward +-1); gradients vanish in both cases.',
        "lab 002 and 004 Problem 1.1; Perunicic's initialisation article; Godoy's DeepReplay example"),
    'C2': CatalogueEntry(
        "Xavier/Glorot-normal initialisation keeps tanh activations' spread roughly constant across the 5 layers.",
        "lab 002 and 004 Problem 1.1; Perunicic's initialisation article; Godoy's DeepReplay example"),
    'C3': CatalogueEntry(
        "For ReLU, He initialisation keeps the activations' second moment constant across layers while Xavier shrinks it by about half per layer; He therefore trains at least as well as Xavier (assert on activation statistics and on loss after a fixed budget).",
        "lab 002 and 004 Problem 1.1; Perunicic's initialisation article; Godoy's DeepReplay example"),
    'C4': CatalogueEntry(
        "Perunicic's sigmas for a width-100 ReLU stack: 0.10 shrinks, 0.14 holds, 0.28 grows the activations layer by layer.",
        "lab 002 and 004 Problem 1.1; Perunicic's initialisation article; Godoy's DeepReplay example"),
    'C5': CatalogueEntry(
        'Non-saturating activations (ReLU, leaky ReLU, ELU, SELU) keep first-layer gradients far larger than sigmoid and tanh in the same deep net.',
        "lab 002 and 004 Problem 1.1; Perunicic's initialisation article; Godoy's DeepReplay example"),
    'C6': CatalogueEntry(
        'Gradient clipping: a set-up whose gradients explode (for example a deep net with large init or a high learning rate) diverges without clipping (loss inf/NaN or blows up) and trains with gradient-norm clipping.',
        "lab 002 and 004 Problem 1.1; Perunicic's initialisation article; Godoy's DeepReplay example"),
    'C7': CatalogueEntry(
        'Batch normalisation: the 002 MLP (Flatten, Dense 600 relu He-normal, BN, Dense 200 relu He-normal, BN, Dense 10 softmax; SGD; 15 epochs) trains faster and better than the same net without BN; on Fashion-MNIST the lab shows about 0.89 validation accuracy.',
        "lab 002 and 004 Problem 1.1; Perunicic's initialisation article; Godoy's DeepReplay example"),
    'C8': CatalogueEntry(
        "002's final evaluation fed unscaled test images (0..255) to a net trained on 0..1 inputs and got loss 83.2 / accuracy 0.797 against about 0.89 on validation: scale mismatch between training and evaluation inputs measurably degrades accuracy.",
        "lab 002 and 004 Problem 1.1; Perunicic's initialisation article; Godoy's DeepReplay example"),
    'D1': CatalogueEntry(
        "A 10-layer width-2 ReLU net trained as above collapses to a constant function in over 90% of 1000 trainings (the lab asks: is your fraction close to the paper's?). Define collapse precisely (for example: output standard deviation over a dense grid of the input range below a small fraction of the target's) and report the fraction with its interval.",
        "lab 004 Problems 1.2-1.3; Lu, Shin, Su, Karniadakis, 'Dying ReLU and Initialization' (CiCP 2020, arXiv 1903.06733)"),
    'D2': CatalogueEntry(
        'With leaky ReLU (slope 0.01) and all else equal, the collapse fraction is lower.',
        "lab 004 Problems 1.2-1.3; Lu, Shin, Su, Karniadakis, 'Dying ReLU and Initialization' (CiCP 2020, arXiv 1903.06733)"),
    'D3': CatalogueEntry(
        "Born-dead probability at initialisation rises with depth and falls with width, and matches the paper's depth-10 figures for widths 3, 5 and 10.",
        "lab 004 Problems 1.2-1.3; Lu, Shin, Su, Karniadakis, 'Dying ReLU and Initialization' (CiCP 2020, arXiv 1903.06733)"),
    'D4': CatalogueEntry(
        "Randomized asymmetric initialisation lowers the collapse fraction well below He's.",
        "lab 004 Problems 1.2-1.3; Lu, Shin, Su, Karniadakis, 'Dying ReLU and Initialization' (CiCP 2020, arXiv 1903.06733)"),
    'E1': CatalogueEntry(
        'LeNet-5 with standardised input and BN after hidden layers trains well; its learned BN parameters (gamma, beta per layer) are reported.',
        'lab 004 Problem 2; Ioffe & Szegedy 2015; Srivastava et al. 2014; Li et al. CVPR 2019'),
    'E2': CatalogueEntry(
        'Replacing input standardisation with a BN layer on the input: compare train/test accuracy and loss with E1 and say whether input BN helped, with an interval; the report draws violin plots of the learned BN parameters per layer, input included.',
        'lab 004 Problem 2; Ioffe & Szegedy 2015; Srivastava et al. 2014; Li et al. CVPR 2019'),
    'E3': CatalogueEntry(
        'Dropout (0.2 on the input, 0.5 on hidden layers) without BN: test accuracy compared with E1 and E2.',
        'lab 004 Problem 2; Ioffe & Szegedy 2015; Srivastava et al. 2014; Li et al. CVPR 2019'),
    'E4': CatalogueEntry(
        'BN and dropout together: test accuracy compared with each alone.',
        'lab 004 Problem 2; Ioffe & Szegedy 2015; Srivastava et al. 2014; Li et al. CVPR 2019'),
    'E5': CatalogueEntry(
        "Dropout's test-time rule: scaling weights by the retain probability at test time (Srivastava) and inverted dropout (scaling by 1/p during training, as PyTorch does) give the same expected activations; a net trained one way evaluates identically under the matching rule.",
        'lab 004 Problem 2; Ioffe & Szegedy 2015; Srivastava et al. 2014; Li et al. CVPR 2019'),
    'F1': CatalogueEntry(
        'LR range test (10 candidate LRs from 1e-9 to 1e1, a few epochs each, batch 64): training loss is flat at tiny LRs, falls over a middle band and diverges at large LRs; lr_min and lr_max are read off the curve automatically.',
        "lab 004 Problem 3; Smith, 'Cyclical Learning Rates' (2017); Smith et al., 'Don't Decay the Learning Rate, Increase the Batch Size' (ICLR 2018)"),
    'F2': CatalogueEntry(
        'A cyclical LR policy between lr_min and lr_max reaches at least the accuracy of a fixed LR in the same number of epochs (train/validation curves in the report).',
        "lab 004 Problem 3; Smith, 'Cyclical Learning Rates' (2017); Smith et al., 'Don't Decay the Learning Rate, Increase the Batch Size' (ICLR 2018)"),
    'F3': CatalogueEntry(
        'At a fixed LR, growing the batch size (32, 64, ... up to 16384, simulated by gradient accumulation where memory runs out) behaves like decaying the LR: final test accuracy comparable to the cyclical/decayed schedule, with far fewer parameter updates.',
        "lab 004 Problem 3; Smith, 'Cyclical Learning Rates' (2017); Smith et al., 'Don't Decay the Learning Rate, Increase the Batch Size' (ICLR 2018)"),
    'G1': CatalogueEntry(
        "The update equations of the five methods, written out from their papers in the suite's own reference code, match what the library's optimisers do step for step (property-based tests over random parameters, gradients and hyper-parameters); RMSProp+Nesterov is implemented and checked the same way.",
        "lab 004 Problem 4; Kingma & Ba, 'Adam' (2015) section 6.2"),
    'G2': CatalogueEntry(
        "Trained with L2 regularisation, the five methods reach different training losses; report the ranking with intervals and test the Adam paper's claim that Adam is best.",
        "lab 004 Problem 4; Kingma & Ba, 'Adam' (2015) section 6.2"),
    'G3': CatalogueEntry(
        'With dropout (0.2 input, 0.5 hidden) training loss is higher than without for every method; the best method is reported.',
        "lab 004 Problem 4; Kingma & Ba, 'Adam' (2015) section 6.2"),
    'G4': CatalogueEntry(
        'Training time with and without dropout, per method (this is a benchmark in bench/, and a figure in the report).',
        "lab 004 Problem 4; Kingma & Ba, 'Adam' (2015) section 6.2"),
    'G5': CatalogueEntry(
        'Test accuracy of all ten runs (five methods, with and without dropout), evaluated with the correct dropout scaling.',
        "lab 004 Problem 4; Kingma & Ba, 'Adam' (2015) section 6.2"),
    'H1': CatalogueEntry(
        'AlexNet parameters per layer and total, for the original two-GPU grouped net (60,965,224 with biases), the ungrouped single-tower net (62,378,344) and the torchvision variant (61,100,840).',
        'lab 004 Problem 5; Krizhevsky et al. 2012 (AlexNet); Simonyan & Zisserman 2015 (VGG); Szegedy et al. 2015 (GoogLeNet)'),
    'H2': CatalogueEntry(
        "VGG19 (configuration E) per-layer activations and weights without biases, completing the lab's table: weights 143,652,544 (143,667,240 with biases); activations per image including input and pooling outputs 16,542,184. VGG16 alongside (138,357,544 with biases).",
        'lab 004 Problem 5; Krizhevsky et al. 2012 (AlexNet); Simonyan & Zisserman 2015 (VGG); Szegedy et al. 2015 (GoogLeNet)'),
    'H3': CatalogueEntry(
        'N stacked FxF stride-1 convolutions have a receptive field of NF - N + 1 (three 5x5 give 13x13): shown by measuring the receptive field of real conv stacks (which input pixels get nonzero gradient), property-tested over N and F.',
        'lab 004 Problem 5; Krizhevsky et al. 2012 (AlexNet); Simonyan & Zisserman 2015 (VGG); Szegedy et al. 2015 (GoogLeNet)'),
    'H4': CatalogueEntry(
        'GoogLeNet inception module, naive vs dimension-reduction, on a 32x32x256 input with 1x1: 128, 3x3: 192, 5x5: 96 filters and 3x3 max pooling (reductions: 64 1x1 filters before the 3x3 and 5x5 convolutions and after the pooling): output sizes, multiply counts (counted from the modules, not only by formula) and the saving ratio. The widely copied lecture version of this example (28x28x256 input) states 854M ops naive and 358M reduced, but its own listed terms sum to 271,351,808: the suite reproduces the 854M and flags the 358M.',
        'lab 004 Problem 5; Krizhevsky et al. 2012 (AlexNet); Simonyan & Zisserman 2015 (VGG); Szegedy et al. 2015 (GoogLeNet)'),
}

# A few words per claim for tables and the console; the full statement stays above.
SHORT_TITLES = {
    "A1": "deep tanh FFNet does not learn", "A2": "ResNet learns the same task",
    "A3": "FFNet gradients vanish, ResNet's do not", "A4": "FFNet bottom weights barely move",
    "A5": "ResNet trainable far deeper", "A6": "activation, init and trainable depth",
    "A7": "BN prevents dying ReLU", "A8": "ResNet model summary",
    "B1": "sigmoid gradients near 0, smallest early", "B2": "gradient histograms per layer",
    "B3": "ReLU layer-4 gradient rises over training",
    "C1": "N(0, sigma): collapse, saturation, vanishing", "C2": "Xavier keeps tanh spread",
    "C3": "He keeps ReLU second moment", "C4": "Perunicic's sigmas shrink / hold / grow",
    "C5": "non-saturating activations keep gradients", "C6": "clipping tames exploding gradients",
    "C7": "BN trains faster and better", "C8": "unscaled test inputs degrade accuracy",
    "D1": "width-2 ReLU nets collapse (> 90%)", "D2": "leaky ReLU collapses less",
    "D3": "born-dead probability by depth and width", "D4": "RAI lowers collapse",
    "E1": "LeNet-5 with BN trains well", "E2": "input BN vs standardisation", "E3": "dropout without BN",
    "E4": "BN and dropout together", "E5": "dropout's test-time rule",
    "F1": "LR range test", "F2": "cyclical LR vs fixed", "F3": "growing batch vs decaying LR",
    "G1": "optimiser updates match their papers", "G2": "Adam reaches the lowest training loss",
    "G3": "dropout raises training loss", "G4": "training time with and without dropout",
    "G5": "test accuracy of the ten runs",
    "H1": "AlexNet parameter counts", "H2": "VGG19 weights and activations",
    "H3": "receptive field of stacked convolutions", "H4": "inception module multiplies",
}
CATALOGUE = {cid: replace(entry, short=SHORT_TITLES[cid]) for cid, entry in CATALOGUE.items()}

# The catalogue's topic headings (CLAIMS.md).
TOPIC_TITLES = {
    "A": "Depth and residual connections", "B": "Gradient distributions",
    "C": "Initialisation, activations, normalisation, clipping", "D": "Dying ReLU and network collapse",
    "E": "Batch normalisation and dropout on LeNet-5", "F": "Learning rate and batch size",
    "G": "Adaptive optimisers", "H": "Architecture arithmetic",
}
